/**
 * US patent grants of 2002–2004 in the USPTO's SGML-style XML after WIPO ST.32 (DTD "ST32-US-Grant-025xml"
 * v2.4/v2.5, root `<PATDOC>`, upper-case element names; its DOCTYPE declares the drawings as NDATA
 * entities, which are never read).
 *
 * Read here: the publication number (B190 country, B110 number, B130 kind: "US6336130B1"), the title
 * (B540), the abstract (SDOAB), the description paragraphs (every `<PARA>` of the description SDODE, in
 * order, whatever section holds it: RELAPP, GOVINT, BRFSUM, DRWDESC, DETDESC; `<H>` headings are not
 * paragraphs) and the claims (`SDOCL/CL/CLM ID="CLM-00001"`, text of its PARA and CLMSTEP elements,
 * dependencies from `<CLREF ID="CLM-00001">`, else from the words).
 *
 * Grants print no paragraph numbers; the markup numbers every PARA in its ID ("P-00003", counted through
 * the abstract, the description and the claims), and that number is the paragraph's number here ("0003"),
 * so a citation can be found in the XML.
 */
import { assembleDocument, type FoundClaim, type FoundParagraph } from './assemble';
import type { PatentDocument } from './model';
import { LineIndex } from './source-text';
import { findAll, findFirst, type XmlElement, type XmlRepairs } from './xml';
import { elementText, numberInId, paragraphNumberText, splitClaimNumber } from './xml-text';

/** ST.32's paragraph-like elements: each keeps its words apart from the next one's. */
const BLOCKS = new Set(['PARA', 'CLMSTEP', 'PTEXT', 'H', 'BTEXT', 'TABLE', 'ROW', 'ENTRY', 'CWU', 'LI']);

function paragraphsFrom(description: XmlElement | undefined): FoundParagraph[] {
  if (!description) return [];
  const found: FoundParagraph[] = [];
  // A paragraph the file was cut off in is left out (the repair warning says where the text ends).
  for (const element of findAll(description, 'PARA').filter((e) => !e.truncated)) {
    const text = elementText(element, BLOCKS);
    if (text === '') continue;
    const paragraph: FoundParagraph = { text, start: element.start, end: element.end };
    const number = numberInId(element.attributes['ID']);
    if (number !== undefined) paragraph.number = paragraphNumberText(number);
    found.push(paragraph);
  }
  return found;
}

function claimsFrom(block: XmlElement | undefined): FoundClaim[] {
  if (!block) return [];
  const numberById = new Map<string, number>();
  const claims = findAll(block, 'CLM')
    .filter((e) => !e.truncated)
    .map((element, index) => {
      const fromId = numberInId(element.attributes['ID']);
      const { printed, body } = splitClaimNumber(elementText(element, BLOCKS), fromId);
      const number = printed ?? fromId ?? index + 1;
      const id = element.attributes['ID'];
      if (id) numberById.set(id, number);
      return { element, number, body };
    });
  return claims.map(({ element, number, body }) => {
    const markupReferences: number[] = [];
    for (const reference of findAll(element, 'CLREF')) {
      for (const id of (reference.attributes['ID'] ?? '').split(/[\s,]+/)) {
        const target = numberById.get(id) ?? (id ? numberInId(id) : undefined);
        if (target !== undefined) markupReferences.push(target);
      }
    }
    return { number, text: body, start: element.start, end: element.end, markupReferences };
  });
}

/** "06336130" → "6336130"; "D0456789" → "D456789"; "RE037890" → "RE37890". */
function documentNumber(raw: string): string {
  const match = /^([A-Z]{0,2})0*(\d+)$/.exec(raw.replace(/\s+/g, '').toUpperCase());
  return match ? `${match[1] ?? ''}${match[2] ?? ''}` : raw.replace(/\s+/g, '');
}

function publicationNumber(root: XmlElement): string | undefined {
  const b100 = findFirst(root, 'B100');
  if (!b100) return undefined;
  const number = elementText(findFirst(b100, 'B110'));
  if (number === '') return undefined;
  const country = elementText(findFirst(b100, 'B190')) || 'US';
  return `${country}${documentNumber(number)}${elementText(findFirst(b100, 'B130'))}`.toUpperCase();
}

/**
 * Elements the ST.32 DTDs declare EMPTY, which the 2001–2002 files (DTD v2.4, SGML at heart) write as bare
 * start tags (`<CITED-BY-EXAMINER>`, `<EMI ID=… FILE=…>`, the reissue markers `<DEL-S …>`/`<INS-E …>`),
 * where XML wants `<…/>`.
 */
const SGML_EMPTY_START =
  /<(?:CITED-BY-EXAMINER|CITED-BY-OTHER|B221US|B473US|B597US|EMI|DEL-S|DEL-E|INS-S|INS-E|COLSPEC|SPANSPEC|CHEMMOL|CHEMCDX|MATHEMATICA|CUSTOM-CHARACTER)(?=[\s>/])[^<>]{0,2000}>/g;

/**
 * Whether what the tolerant XML parser repaired in an ST.32 file is exactly its SGML-style EMPTY elements
 * (each written as a bare start tag, each one "missing end tag" repair): then the file is as its DTD
 * allows, not damaged, and needs no warning. Anything more (a cut-off file, a stray `<`) still warns.
 */
export function onlySgmlEmptyElements(root: XmlElement, source: string, repairs: XmlRepairs): boolean {
  if (root.name !== 'PATDOC' && root.name !== 'patdoc') return false;
  if (!/^missing end tag <\/[A-Z-]+>$/.test(repairs.first)) return false;
  let bare = 0;
  for (const tag of source.matchAll(SGML_EMPTY_START)) if (!tag[0].endsWith('/>')) bare++;
  return bare === repairs.count;
}

/** Reads a parsed ST.32 `<PATDOC>`; ranges are offsets into `source`. */
export function st32GrantDocument(
  root: XmlElement,
  source: string,
  uri: string,
  encoding: string | undefined,
): PatentDocument {
  const title = findFirst(root, 'B540');
  return assembleDocument({
    uri,
    format: 'uspto-st32-xml',
    lines: new LineIndex(source),
    encoding,
    claims: claimsFrom(findFirst(root, 'SDOCL')),
    paragraphs: paragraphsFrom(findFirst(root, 'SDODE')),
    publicationNumber: publicationNumber(root),
    title: elementText(title) || undefined,
    abstract: elementText(findFirst(root, 'SDOAB'), BLOCKS) || undefined,
    language: 'en',
  });
}
