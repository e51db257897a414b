/**
 * The patent document model every other part of the core reads. Parsers (one per format) produce it;
 * the index knows documents only through their paragraphs and claims.
 *
 * Ranges: for text, Markdown and XML they refer to the file's decoded text (BOM removed), so an editor
 * showing the file can map its cursor to a claim. DOCX and PDF have no editable text: there the ranges
 * refer to the text extracted from the file (`PatentDocument.sourceText`), not to bytes of the file.
 */

/** A zero-based position in the source text, as an editor counts it (UTF-16 code units within a line). */
export interface Position {
  line: number;
  character: number;
}

/** A span of the source text; `end` is exclusive. Offsets are UTF-16 offsets into the decoded text. */
export interface SourceRange {
  start: Position;
  end: Position;
  startOffset: number;
  endOffset: number;
}

/**
 * `uspto-xml`: USPTO full text 2005+ (and 2004 applications); `uspto-pap-xml`: US applications 2001–2004
 * (`<patent-application-publication>`); `uspto-st32-xml`: US grants 2002–2004 (ST.32 `<PATDOC>`);
 * `uspto-greenbook`: US grants 1976–2000 (APS Green Book text); `epo-xml`: EPO publications.
 */
export type DocumentFormat =
  | 'text'
  | 'markdown'
  | 'uspto-xml'
  | 'uspto-pap-xml'
  | 'uspto-st32-xml'
  | 'uspto-greenbook'
  | 'epo-xml'
  | 'docx'
  | 'pdf';

export interface Claim {
  /** The claim number as printed (1-based). */
  number: number;
  /** The claim's text for display, as the document has it (markup removed, whitespace normalised). */
  text: string;
  /** The text prepared for matching: reference numerals and bracketed reference signs stripped. */
  matchText: string;
  /** Numbers of the claims this one refers back to; empty for an independent claim. */
  dependsOn: number[];
  range: SourceRange;
}

export interface Paragraph {
  /**
   * Stable within the document: `p<number>` where a number is printed, `r<ordinal>` where the format
   * prints none and the paragraphs are numbered in reading order (Green Book), else `o<ordinal>` (1-based).
   */
  id: string;
  /** The paragraph number as printed (`[0012]` → "0012"), if any. */
  number?: string;
  /**
   * `reading-order`: the format prints no paragraph numbers and the ordinal in `id` is this paragraph's place
   * among the description paragraphs, counted in reading order; a citation must say so ("col./para. 12").
   * Absent for paragraphs with a printed number and for drafts.
   */
  numbering?: 'reading-order';
  text: string;
  matchText: string;
  range: SourceRange;
}

export interface PatentDocument {
  /** The path or URI the document was read from. */
  uri: string;
  format: DocumentFormat;
  /** Publication number where the document states it (e.g. "US8926509B2", "EP1234567A1"). */
  publicationNumber?: string;
  title?: string;
  /** Language of the claims kept (EPO B documents repeat claims in DE and FR; English is preferred). */
  language?: string;
  /** Abstract text where the document marks one (USPTO/EPO XML); it is not one of the paragraphs. */
  abstract?: string;
  /** The character encoding the bytes were decoded with (e.g. "utf-8", "windows-1252"). */
  encoding?: string;
  /** Claims in document order, of one language only. */
  claims: Claim[];
  /** Description paragraphs in document order (headings, abstract and claims are not paragraphs). */
  paragraphs: Paragraph[];
  /**
   * For DOCX and PDF only: the text extracted from the file, which the ranges refer to. For the other
   * formats the ranges refer to the file's own decoded text and this is absent.
   */
  sourceText?: string;
  /**
   * What was repaired or left out while reading (damaged XML recovered, a limit met), one sentence each,
   * naming the file and, where there is one, the line. Absent when the document read cleanly.
   */
  warnings?: string[];
}

/** A claim that refers back to no other claim. */
export function isIndependent(claim: Claim): boolean {
  return claim.dependsOn.length === 0;
}
