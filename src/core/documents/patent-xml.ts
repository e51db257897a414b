import { assembleDocument, type FoundClaim, type FoundParagraph } from './assemble';
import { DocumentError } from './errors';
import type { PatentDocument } from './model';
import { LineIndex, normalizeWhitespace } from './source-text';
import { papApplicationDocument } from './uspto-pap-xml';
import { onlySgmlEmptyElements, st32GrantDocument } from './uspto-st32-xml';
import {
  findAll,
  findFirst,
  parseXml,
  textContent,
  xmlDamageError,
  xmlRepairWarning,
  type XmlElement,
} from './xml';

export type PatentXmlKind = 'uspto-xml' | 'uspto-pap-xml' | 'uspto-st32-xml' | 'epo-xml';

/** The kind of patent XML a root element name announces, if any. */
export function patentXmlKind(rootName: string): PatentXmlKind | undefined {
  if (rootName === 'us-patent-grant' || rootName === 'us-patent-application') return 'uspto-xml';
  // US 2001–2004: applications (pap DTD v1.5/v1.6) and ST.32 grants, upper case as the USPTO wrote them.
  if (rootName === 'patent-application-publication') return 'uspto-pap-xml';
  if (rootName === 'PATDOC' || rootName === 'patdoc') return 'uspto-st32-xml';
  if (rootName === 'ep-patent-document') return 'epo-xml';
  return undefined;
}

function text(element: XmlElement | undefined): string {
  return element ? normalizeWhitespace(textContent(element)) : '';
}

/** "0012" from num="0012"; USPTO writes num="none" for unnumbered paragraphs. */
function paragraphNumber(element: XmlElement): string | undefined {
  const num = element.attributes['num']?.trim();
  return num && /^\d{1,6}$/.test(num) ? num : undefined;
}

function claimsFrom(block: XmlElement | undefined): FoundClaim[] {
  if (!block) return [];
  // A claim the file was cut off in is left out (the repair warning says where the text ends).
  const elements = findAll(block, 'claim').filter((e) => !e.truncated);
  const numberById = new Map<string, number>();
  const numbers = elements.map((element, index) => {
    const parsed = Number.parseInt(element.attributes['num'] ?? '', 10);
    const number = Number.isFinite(parsed) && parsed > 0 ? parsed : index + 1;
    const id = element.attributes['id'];
    if (id) numberById.set(id, number);
    return number;
  });
  return elements.map((element, index) => {
    const number = numbers[index] ?? index + 1;
    // USPTO claim text starts with its own number ("2. A method as recited in claim 1"): drop it.
    const full = text(element);
    const lead = /^(\d{1,4})\s*[.)]\s*/.exec(full);
    const body = lead && Number(lead[1]) === number ? full.slice(lead[0].length) : full;
    const markupReferences: number[] = [];
    for (const ref of findAll(element, 'claim-ref')) {
      for (const id of (ref.attributes['idref'] ?? '').split(/[\s,]+/)) {
        const target = numberById.get(id);
        if (target !== undefined) markupReferences.push(target);
      }
    }
    return { number, text: body, start: element.start, end: element.end, markupReferences };
  });
}

function paragraphsFrom(description: XmlElement | undefined): FoundParagraph[] {
  if (!description) return [];
  // USPTO applications mark some headings as paragraphs (num="heading-0086"): headings are not paragraphs.
  const paragraphs = findAll(description, 'p').filter(
    (p) => !p.truncated && !p.attributes['num']?.startsWith('heading'),
  );
  return paragraphs.map((element) => {
    const paragraph: FoundParagraph = { text: text(element), start: element.start, end: element.end };
    const number = paragraphNumber(element);
    if (number !== undefined) paragraph.number = number;
    return paragraph;
  });
}

function usPublicationNumber(root: XmlElement): string | undefined {
  const reference = findFirst(root, 'publication-reference');
  const id = reference && findFirst(reference, 'document-id');
  if (!id) return undefined;
  const number = [
    text(findFirst(id, 'country')),
    text(findFirst(id, 'doc-number')),
    text(findFirst(id, 'kind')),
  ].join('');
  return number || undefined;
}

/** The English block where there is one, else the one in the document's language, else the first. */
function preferredLanguageBlock(
  blocks: XmlElement[],
  documentLanguage: string | undefined,
): XmlElement | undefined {
  const language = (e: XmlElement) => e.attributes['lang']?.toLowerCase();
  return (
    blocks.find((b) => language(b) === 'en') ??
    blocks.find((b) => documentLanguage !== undefined && language(b) === documentLanguage) ??
    blocks[0]
  );
}

function epTitle(root: XmlElement): string | undefined {
  const b540 = findFirst(root, 'B540');
  if (!b540) return undefined;
  // B540 lists (B541 language, B542 title) pairs.
  let language: string | undefined;
  let first: string | undefined;
  for (const child of b540.children) {
    if (typeof child === 'string') continue;
    if (child.name === 'B541') language = text(child).toLowerCase();
    if (child.name === 'B542') {
      const title = text(child);
      first ??= title;
      if (language === 'en') return title;
    }
  }
  return first;
}

/**
 * Parses USPTO full-text XML (grant v4.x, application v4.0 2004; 2001–2004 applications and ST.32 grants
 * in their own files) or EPO publication XML. Damaged XML is recovered (see `parseXml`): the document
 * then carries one warning saying what was repaired, where.
 */
export function parsePatentXml(
  source: string,
  uri: string,
  encoding: string | undefined,
  signal?: AbortSignal,
): PatentDocument {
  const root = parseXml(source, uri, signal);
  // ST.32 grants of 2001–2002 write their EMPTY elements SGML-style: no damage, nothing to warn about.
  const repairs =
    root.repairs && !onlySgmlEmptyElements(root, source, root.repairs) ? root.repairs : undefined;
  // Damaged XML that is not recognisably a patent document: the damage is the news, not the root's name.
  if (repairs && !patentXmlKind(root.name)) throw xmlDamageError(uri, repairs);
  const document = patentDocumentFrom(root, source, uri, encoding);
  if (repairs) {
    // Nothing intact was left: as unreadable as it was before recovery.
    if (document.claims.length === 0 && document.paragraphs.length === 0) throw xmlDamageError(uri, repairs);
    document.warnings = [xmlRepairWarning(uri, repairs)];
  }
  return document;
}

function patentDocumentFrom(
  root: XmlElement,
  source: string,
  uri: string,
  encoding: string | undefined,
): PatentDocument {
  const kind = patentXmlKind(root.name);
  if (!kind) {
    throw new DocumentError(
      uri,
      'unknown-format',
      `is XML with root element <${root.name}>, not a USPTO or EPO patent document.`,
    );
  }
  if (kind === 'uspto-pap-xml') return papApplicationDocument(root, source, uri, encoding);
  if (kind === 'uspto-st32-xml') return st32GrantDocument(root, source, uri, encoding);
  const lines = new LineIndex(source);
  if (kind === 'uspto-xml') {
    return assembleDocument({
      uri,
      format: kind,
      lines,
      encoding,
      claims: claimsFrom(findFirst(root, 'claims')),
      paragraphs: paragraphsFrom(findFirst(root, 'description')),
      publicationNumber: usPublicationNumber(root),
      title: text(findFirst(root, 'invention-title')) || undefined,
      abstract: text(findFirst(root, 'abstract')) || undefined,
      language: root.attributes['lang']?.toLowerCase(),
    });
  }
  const documentLanguage = root.attributes['lang']?.toLowerCase();
  const claimsBlock = preferredLanguageBlock(findAll(root, 'claims'), documentLanguage);
  const publicationNumber = ['country', 'doc-number', 'kind'].map((a) => root.attributes[a] ?? '').join('');
  return assembleDocument({
    uri,
    format: kind,
    lines,
    encoding,
    claims: claimsFrom(claimsBlock),
    paragraphs: paragraphsFrom(preferredLanguageBlock(findAll(root, 'description'), documentLanguage)),
    publicationNumber: publicationNumber || undefined,
    title: epTitle(root),
    abstract: text(preferredLanguageBlock(findAll(root, 'abstract'), documentLanguage)) || undefined,
    language: claimsBlock?.attributes['lang']?.toLowerCase() ?? documentLanguage,
  });
}
