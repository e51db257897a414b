/**
 * Whole-document parsing in the calling thread: format detection and the per-format parsers. The public
 * entry points (`parseDocument`, `parseDocumentText` in index.ts) run these in the document worker
 * (document-thread.ts) where they can, so the extension host's thread never parses.
 */
import { decodeText, decodeXml, looksBinary } from './decode';
import { extractDocxText } from './docx';
import { parseDraftText } from './draft-text';
import { DocumentError } from './errors';
import { looksLikeGreenBook, parseGreenBook } from './greenbook';
import type { DocumentFormat, PatentDocument } from './model';
import { parsePatentXml } from './patent-xml';
import { extractPdfTextHere } from './pdf';

/** File extensions `parseDocument` reads (lower case, with the dot), for the index's include globs. */
export const SUPPORTED_EXTENSIONS: readonly string[] = [
  '.txt',
  '.text',
  '.md',
  '.markdown',
  '.xml',
  '.sgm',
  '.sgml',
  '.greenbook',
  '.docx',
  '.pdf',
];

/** A glob matching every supported file, e.g. for `workspace.findFiles`. */
export const SUPPORTED_GLOB = `**/*.{${SUPPORTED_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

export interface ParseOptions {
  /** Larger files are refused with a `DocumentError` ('too-large'). Default 20 MB. */
  maxBytes?: number;
  /** Force a format instead of detecting it. */
  format?: DocumentFormat;
  signal?: AbortSignal;
}

function extensionOf(uri: string): string {
  const name = uri.split(/[\\/]/).pop() ?? uri;
  const withoutQuery = name.replace(/[?#].*$/, '');
  const dot = withoutQuery.lastIndexOf('.');
  return dot > 0 ? withoutQuery.slice(dot).toLowerCase() : '';
}

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4

/** The first non-space characters look like XML markup. */
function looksLikeXml(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 512)).replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  return /^\s*<(?:\?xml|!DOCTYPE|!--|[A-Za-z_])/.test(head) || /^(?:\xFF\xFE|\xFE\xFF)/.test(head);
}

/** The format of a file from its extension, confirmed or overruled by its first bytes. */
export function detectFormat(bytes: Uint8Array, uri: string): DocumentFormat | 'xml' {
  const extension = extensionOf(uri);
  if (startsWith(bytes, PDF_MAGIC)) return 'pdf';
  if (startsWith(bytes, ZIP_MAGIC)) {
    if (extension === '.docx' || extension === '') return 'docx';
    throw new DocumentError(uri, 'unknown-format', 'is a ZIP archive, but not a Word .docx file.');
  }
  if (extension === '.pdf' || extension === '.docx') {
    throw new DocumentError(
      uri,
      'malformed',
      `has the extension ${extension} but does not start like a ${extension === '.pdf' ? 'PDF' : 'Word'} file.`,
    );
  }
  if (looksBinary(bytes)) throw new DocumentError(uri, 'binary', 'is a binary file, not a patent document.');
  if (extension === '.md' || extension === '.markdown') return 'markdown';
  // US grants of 2001 came as SGML (ST.32 DTD v2.4), read as the tolerant XML parser reads them.
  if (extension === '.xml' || extension === '.sgm' || extension === '.sgml' || looksLikeXml(bytes))
    return 'xml';
  // APS Green Book (US grants 1976–2000) is plain text: by its extension or, as .txt, by its first line.
  if (extension === '.greenbook') return 'uspto-greenbook';
  if (extension === '.txt' || extension === '.text' || extension === '') {
    return looksLikeGreenBook(new TextDecoder('latin1').decode(bytes.subarray(0, 8192)))
      ? 'uspto-greenbook'
      : 'text';
  }
  throw new DocumentError(
    uri,
    'unknown-format',
    `has the extension ${extension}, which is not a supported document type (${SUPPORTED_EXTENSIONS.join(', ')}).`,
  );
}

/** The format an editor's text is parsed as: by its name unless given. */
export type TextFormat = 'text' | 'markdown' | 'xml';

/**
 * `parseDocumentText` in this thread (the document worker calls this). Parses text an editor holds
 * (unsaved edits included), so ranges are offsets into that very text: USPTO/EPO XML when it looks like
 * XML, else a text or Markdown draft. Throws `DocumentError` for XML that is malformed or not a patent
 * document.
 */
export function parseDocumentTextHere(
  text: string,
  uri: string,
  format: TextFormat = /\.(?:md|markdown)$/i.test(uri) ? 'markdown' : 'text',
  signal?: AbortSignal,
): PatentDocument {
  const xml = format === 'xml' || /^\s*<(?:\?xml|!DOCTYPE|[A-Za-z])/.test(text.slice(0, 512));
  if (xml) return parsePatentXml(text, uri, undefined, signal);
  if (format !== 'markdown' && looksLikeGreenBook(text)) return parseGreenBook(text, uri, undefined, signal);
  return parseDraftText(text, { uri, format: format === 'markdown' ? 'markdown' : 'text' });
}

async function parseDetected(
  bytes: Uint8Array,
  uri: string,
  detected: DocumentFormat | 'xml',
  signal: AbortSignal | undefined,
): Promise<PatentDocument> {
  switch (detected) {
    case 'pdf':
      return parseDraftText(await extractPdfTextHere(bytes, uri, signal), {
        uri,
        format: 'pdf',
        extracted: true,
      });
    case 'docx': {
      const { text, headingLines } = await extractDocxText(bytes, uri);
      return parseDraftText(text, { uri, format: 'docx', extracted: true, headingLines });
    }
    case 'xml':
    case 'uspto-xml':
    case 'uspto-pap-xml':
    case 'uspto-st32-xml':
    case 'epo-xml': {
      const { text, encoding } = decodeXml(bytes, uri);
      if (text.trim().length === 0) throw new DocumentError(uri, 'empty', 'holds only whitespace.');
      return parsePatentXml(text, uri, encoding, signal);
    }
    case 'uspto-greenbook': {
      const { text, encoding } = decodeText(bytes, uri);
      if (text.trim().length === 0) throw new DocumentError(uri, 'empty', 'holds only whitespace.');
      return parseGreenBook(text, uri, encoding, signal);
    }
    case 'text':
    case 'markdown': {
      const { text, encoding } = decodeText(bytes, uri);
      if (text.trim().length === 0) throw new DocumentError(uri, 'empty', 'holds only whitespace.');
      return parseDraftText(text, { uri, format: detected, encoding });
    }
  }
}

/**
 * The size and emptiness checks `parseDocumentHere` starts with, cheap enough for the calling thread: a
 * file refused here is never copied to the document worker.
 */
export function checkSize(bytes: Uint8Array, uri: string, maxBytes = DEFAULT_MAX_BYTES): void {
  if (bytes.length > maxBytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new DocumentError(
      uri,
      'too-large',
      `is ${mb(bytes.length)}, larger than the limit of ${mb(maxBytes)}.`,
    );
  }
  if (bytes.length === 0) throw new DocumentError(uri, 'empty', 'is empty.');
}

/**
 * `parseDocument` in this thread (the document worker calls this): reads a patent document in any
 * supported format (detected from the extension and the content). Throws `DocumentError` for anything it
 * cannot read; never anything else for bad input.
 */
export async function parseDocumentHere(
  bytes: Uint8Array,
  uri: string,
  options: ParseOptions = {},
): Promise<PatentDocument> {
  options.signal?.throwIfAborted();
  checkSize(bytes, uri, options.maxBytes);
  const detected = options.format ?? detectFormat(bytes, uri);
  let document: PatentDocument;
  try {
    document = await parseDetected(bytes, uri, detected, options.signal);
  } catch (error) {
    if (error instanceof DocumentError || options.signal?.aborted) throw error;
    // A failure no check foresaw (a bug here or in a library): still one clear error naming the file,
    // with the original kept as the cause for the log.
    throw new DocumentError(uri, 'unreadable', `could not be read (${String(error)}).`, { cause: error });
  }
  if (document.claims.length === 0 && document.paragraphs.length === 0) {
    throw new DocumentError(uri, 'empty', 'has no claims and no description paragraphs.');
  }
  return document;
}
