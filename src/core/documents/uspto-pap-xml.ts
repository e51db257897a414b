/**
 * US patent application publications of 2001–2004 (USPTO "pap" DTDs v1.5 and v1.6, root
 * `<patent-application-publication>`).
 *
 * Read here: the publication number (`subdoc-bibliographic-information/document-id`: doc-number and
 * kind-code), the title (`title-of-invention`), the abstract (`subdoc-abstract`), the description
 * paragraphs (every `<paragraph>` of `subdoc-description`, whatever section holds it: cross-reference,
 * background, summary, brief description of drawings, detailed description; `<heading>` is not a
 * paragraph) and the claims (`subdoc-claims/claim`, nested `<claim-text>`, dependencies from
 * `<dependent-claim-reference depends_on="CLM-00001">`, else from the words).
 *
 * Paragraph numbers: the printed number is the `<number>` child ("[0012]", or "12." in early files),
 * else the number in the paragraph's id ("P-0012"); written with four digits as the publication prints
 * it ("0012"). The `<number>` is not part of the paragraph's text.
 */
import { assembleDocument, type FoundClaim, type FoundParagraph } from './assemble';
import type { PatentDocument } from './model';
import { LineIndex } from './source-text';
import { findAll, findFirst, type XmlElement } from './xml';
import { elementText, numberInId, paragraphNumberText, splitClaimNumber } from './xml-text';

const BLOCKS = new Set(['paragraph', 'claim-text', 'heading', 'list-item', 'table-cwu', 'math-cwu']);
const NUMBER_ONLY = new Set(['number']);
/** `<dependent-claim-reference depends_on="CLM-00001"><claim-text>claim 1</claim-text></…>` runs in the sentence. */
const REFERENCES = new Set(['dependent-claim-reference', 'cross-reference']);

function paragraphNumber(element: XmlElement): string | undefined {
  const printed = element.children.find(
    (child): child is XmlElement => typeof child !== 'string' && child.name === 'number',
  );
  const digits = printed ? /\d{1,6}/.exec(elementText(printed))?.[0] : undefined;
  const value = digits !== undefined ? Number(digits) : numberInId(element.attributes['id']);
  return value !== undefined && value > 0 ? paragraphNumberText(value) : undefined;
}

function paragraphsFrom(description: XmlElement | undefined): FoundParagraph[] {
  if (!description) return [];
  const found: FoundParagraph[] = [];
  // A paragraph the file was cut off in is left out (the repair warning says where the text ends).
  for (const element of findAll(description, 'paragraph').filter((e) => !e.truncated)) {
    const text = elementText(element, BLOCKS, NUMBER_ONLY);
    if (text === '') continue;
    const paragraph: FoundParagraph = { text, start: element.start, end: element.end };
    const number = paragraphNumber(element);
    if (number !== undefined) paragraph.number = number;
    found.push(paragraph);
  }
  return found;
}

function claimsFrom(block: XmlElement | undefined): FoundClaim[] {
  if (!block) return [];
  const elements = findAll(block, 'claim').filter((e) => !e.truncated);
  const numberById = new Map<string, number>();
  const claims = elements.map((element, index) => {
    const fromId = numberInId(element.attributes['id']);
    const full = elementText(element, BLOCKS, undefined, REFERENCES);
    const { printed, body } = splitClaimNumber(full, fromId);
    const number = printed ?? fromId ?? index + 1;
    const id = element.attributes['id'];
    if (id) numberById.set(id, number);
    return { element, number, body };
  });
  return claims.map(({ element, number, body }) => {
    const markupReferences: number[] = [];
    for (const reference of findAll(element, 'dependent-claim-reference')) {
      for (const id of (reference.attributes['depends_on'] ?? '').split(/[\s,]+/)) {
        const target = numberById.get(id) ?? (id ? numberInId(id) : undefined);
        if (target !== undefined) markupReferences.push(target);
      }
    }
    return { number, text: body, start: element.start, end: element.end, markupReferences };
  });
}

function publicationNumber(root: XmlElement): string | undefined {
  const bibliographic = findFirst(root, 'subdoc-bibliographic-information');
  const id = bibliographic && findFirst(bibliographic, 'document-id');
  if (!id) return undefined;
  const number = elementText(findFirst(id, 'doc-number')).replace(/\s+/g, '');
  if (number === '') return undefined;
  const country = elementText(findFirst(id, 'country-code')) || 'US';
  return `${country}${number}${elementText(findFirst(id, 'kind-code'))}`.toUpperCase();
}

/** Reads a parsed `<patent-application-publication>`; ranges are offsets into `source`. */
export function papApplicationDocument(
  root: XmlElement,
  source: string,
  uri: string,
  encoding: string | undefined,
): PatentDocument {
  const abstract = findFirst(root, 'subdoc-abstract');
  const abstractText = abstract
    ? findAll(abstract, 'paragraph')
        .map((p) => elementText(p, BLOCKS, NUMBER_ONLY))
        .join(' ')
        .trim()
    : '';
  return assembleDocument({
    uri,
    format: 'uspto-pap-xml',
    lines: new LineIndex(source),
    encoding,
    claims: claimsFrom(findFirst(root, 'subdoc-claims')),
    paragraphs: paragraphsFrom(findFirst(root, 'subdoc-description')),
    publicationNumber: publicationNumber(root),
    title: elementText(findFirst(root, 'title-of-invention')) || undefined,
    abstract: abstractText || undefined,
    language: 'en',
  });
}
