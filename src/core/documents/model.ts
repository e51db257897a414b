/**
 * The patent document model every other part of the core reads. Parsers (one per format) produce it;
 * the index knows documents only through their paragraphs and claims.
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

export type DocumentFormat = 'text' | 'markdown' | 'uspto-xml' | 'epo-xml' | 'docx' | 'pdf';

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
  /** Stable within the document: `p<number>` where a number is printed, else `o<ordinal>` (1-based). */
  id: string;
  /** The paragraph number as printed (`[0012]` → "0012"), if any. */
  number?: string;
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
  claims: Claim[];
  paragraphs: Paragraph[];
}
