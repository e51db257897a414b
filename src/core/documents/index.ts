/**
 * The documents module's public entry points. Whole-document parsing runs in the document worker
 * (document-thread.ts) when its script is there, else in the calling thread (parse.ts).
 */
import { processDocumentParser, type DocumentParser } from './document-thread';
import type { BulkItem, BulkProgress } from './bulk';
import type { PatentDocument } from './model';
import { checkSize, DEFAULT_MAX_BYTES, type ParseOptions, type TextFormat } from './parse';

export {
  bulkKindOf,
  countDocuments,
  describePosition,
  detectBulk,
  holdsSeveralDocuments,
  readDocuments,
  type BulkItem,
  type BulkKind,
  type BulkPosition,
  type BulkProgress,
  type BulkReadOptions,
} from './bulk';
export { claimAtOffset, claimAtPosition } from './claim-at';
export { claimReferencesInText } from './dependencies';
export { DocumentParser, documentThreadStats, type DocumentThreadStats } from './document-thread';
export { DocumentError, type DocumentProblem } from './errors';
export { isIndependent } from './model';
export type { Claim, DocumentFormat, Paragraph, PatentDocument, Position, SourceRange } from './model';
export {
  DEFAULT_MAX_BYTES,
  detectFormat,
  SUPPORTED_EXTENSIONS,
  SUPPORTED_GLOB,
  type ParseOptions,
  type TextFormat,
} from './parse';
export { looksLikePatentDocument, SIGNATURE_BYTES } from './patent-signature';
export { stripReferenceSigns } from './reference-signs';

/**
 * Parses text an editor holds (unsaved edits included), so ranges are offsets into that very text:
 * USPTO/EPO XML when it looks like XML, else a text or Markdown draft (by `format`, else by the name).
 * Runs in the document worker. Rejects with `DocumentError` for XML that is malformed or not a patent
 * document.
 */
export function parseDocumentText(
  text: string,
  uri: string,
  format?: TextFormat,
  signal?: AbortSignal,
): Promise<PatentDocument> {
  return processDocumentParser().parseText(text, uri, format, signal);
}

/**
 * Reads a patent document in any supported format (detected from the extension and the content), in the
 * document worker. Rejects with `DocumentError` for anything it cannot read; never anything else for bad
 * input (an abort rejects with the signal's reason).
 */
export function parseDocument(
  bytes: Uint8Array,
  uri: string,
  options: ParseOptions = {},
): Promise<PatentDocument> {
  return parseDocumentWith(processDocumentParser(), bytes, uri, options);
}

/**
 * The documents of a bulk file (concatenated USPTO XML, Green Book, a .zip of them), read in the
 * document worker as a stream, one item per document (see bulk.ts and `DocumentParser.parseFile`).
 */
export function parseBulkFile(
  path: string,
  options: {
    signal?: AbortSignal;
    onProgress?: (progress: BulkProgress) => void;
    maxDocumentBytes?: number;
  } = {},
): AsyncIterable<BulkItem> {
  return processDocumentParser().parseFile(path, options);
}

/** `parseDocument` with a parser the caller owns (the extension's, disposed with it). */
export async function parseDocumentWith(
  parser: DocumentParser,
  bytes: Uint8Array,
  uri: string,
  options: ParseOptions = {},
): Promise<PatentDocument> {
  options.signal?.throwIfAborted();
  // Refused before any copy to the worker.
  checkSize(bytes, uri, options.maxBytes ?? DEFAULT_MAX_BYTES);
  return parser.parse(bytes, uri, options);
}
