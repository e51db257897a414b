/**
 * Bulk files: many patent documents in one file, read as a stream of documents in constant memory.
 *
 * - USPTO weekly full-text XML (`ipg*.xml`, `ipa*.xml`, 2002–2004 `pg*.xml`/`pa*.xml`): documents
 *   concatenated, each with its own XML declaration and DOCTYPE.
 * - Green Book text (1976–2000): one record per `PATN` line.
 * - A `.zip` holding such files: entries are streamed out of the archive (random access through its
 *   central directory, yauzl), never unpacked to disk and never buffered whole.
 *
 * `readDocuments` yields one item per document as soon as it is parsed: the document, or a
 * `DocumentError` naming the file and the document's number and line (one bad document never stops the
 * others). Memory is bounded by the largest single document (`maxDocumentBytes`; a larger one is skipped
 * without being buffered and reported), not by the file. It runs in the calling thread; the document
 * worker runs it for `DocumentParser.parseFile` (document-thread.ts).
 *
 * Ranges: for a plain file they refer to the decoded text of the whole file (BOM excluded), as for any
 * other document, so "open at paragraph" works in an editor showing the file; for a zip entry they refer
 * to the decoded text of that entry.
 */
import { createReadStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { DocumentSplitter, type BulkKind, type BulkPiece, type TextPoint } from './bulk-split';
import { decodeText, decodeXml, declaredXmlEncoding } from './decode';
import { DocumentError } from './errors';
import { parseGreenBook } from './greenbook';
import type { PatentDocument, SourceRange } from './model';
import { DEFAULT_MAX_BYTES } from './parse';
import { parsePatentXml } from './patent-xml';

export type { BulkKind } from './bulk-split';

/** Where a document sits in its bulk file. */
export interface BulkPosition {
  /** 1-based number of the document in the file (in a zip: in its entry). */
  ordinal: number;
  /** The zip entry's name, for a document inside a `.zip`. */
  entry?: string;
  /** Byte offset of the document in the file (or entry). */
  byteOffset: number;
  /** 0-based line where the document starts in the decoded file (or entry). */
  line: number;
}

export type BulkItem =
  { position: BulkPosition; document: PatentDocument } | { position: BulkPosition; error: DocumentError };

export interface BulkProgress {
  /** Bytes read so far: of the file, or for a zip the uncompressed bytes of its entries. */
  bytesRead: number;
  /** The file's size, or for a zip the sum of its readable entries' uncompressed sizes. */
  totalBytes: number;
  /** Items yielded so far (documents and errors). */
  documents: number;
}

export interface BulkReadOptions {
  signal?: AbortSignal;
  /** Called after every chunk read (at most every 256 KB). */
  onProgress?: (progress: BulkProgress) => void;
  /** A larger document is skipped (never buffered) and reported as 'too-large'. Default 20 MB. */
  maxDocumentBytes?: number;
  /** Called before each document is parsed, with its position (the worker tells its caller). */
  onDocument?: (position: BulkPosition) => void;
  /**
   * Pass over the first `skip` items without parsing them (their bytes are still read): resumes a read
   * after the document reader was restarted on a document that overran its deadline.
   */
  skip?: number;
}

/** Counts the items of a read, so the first `skip` of them are passed over. */
class ItemGate {
  private index = 0;
  constructor(private readonly skip: number) {}
  /** True when the next item is to be produced. */
  pass(): boolean {
    return this.index++ >= this.skip;
  }
}

/** Zip entries read as bulk files (other entries are passed over). */
const ENTRY_PATTERN = /\.(?:xml|sgml?|txt|greenbook)$/i;
const CHUNK_BYTES = 256 * 1024;
/** How far `detectBulk` reads looking for a second document before it decides "one document". */
const DETECT_LIMIT = 64 * 1024 * 1024;

/** The kind of bulk text from its first bytes: XML markup, or a Green Book record or file header. */
export function bulkKindOf(head: Uint8Array): BulkKind | undefined {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 64))
    .toString('latin1')
    .replace(/^\xEF\xBB\xBF/, '')
    .trimStart();
  if (text.startsWith('<')) return 'xml';
  if (/^(?:PATN|HHHHHT)\s/.test(text)) return 'greenbook';
  return undefined;
}

/** Single-byte encodings count one UTF-16 unit per byte; UTF-8 (the default) is counted as UTF-8. */
function isSingleByte(head: Uint8Array, kind: BulkKind): boolean {
  if (kind !== 'xml') return false;
  const declared = declaredXmlEncoding(head);
  return declared !== undefined && !/^utf-?8$/.test(declared) && !/^utf-?16/.test(declared);
}

/**
 * The number of documents in `bytes`, counting no further than `stopAt` (2 answers "is it a bulk
 * file?"). Zero when the bytes are neither XML nor Green Book text.
 */
export function countDocuments(bytes: Uint8Array, stopAt = Number.POSITIVE_INFINITY): number {
  const kind = bulkKindOf(bytes);
  if (!kind) return 0;
  // Buffering nothing: only boundaries are wanted.
  const splitter = new DocumentSplitter(kind, 0, false, false);
  let count = 0;
  for (let start = 0; start < bytes.length && count < stopAt; start += CHUNK_BYTES) {
    count += splitter.push(bytes.subarray(start, start + CHUNK_BYTES)).length;
  }
  if (count < stopAt) count += splitter.end().length;
  return count;
}

/**
 * Whether `bytes` hold more than one document, checked in slices that yield to the event loop (a 45 MB
 * file takes about 0.1 s to scan): for a caller on a thread that must stay responsive (the index).
 */
export async function holdsSeveralDocuments(bytes: Uint8Array, signal?: AbortSignal): Promise<boolean> {
  const kind = bulkKindOf(bytes);
  if (!kind) return false;
  const splitter = new DocumentSplitter(kind, 0, false, false);
  let sliceStart = performance.now();
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    // One document completes only when the next starts: one completed means at least two.
    if (splitter.push(bytes.subarray(start, start + CHUNK_BYTES)).length > 0) return true;
    if (performance.now() - sliceStart > 8) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  return splitter.end().length > 1;
}

function isZipPath(path: string): boolean {
  return /\.zip$/i.test(path);
}

/**
 * Whether the file at `path` is a bulk file: a `.zip`, or XML / Green Book text holding more than one
 * document. Reads only until the second document starts (at most 64 MB).
 */
export async function detectBulk(path: string, signal?: AbortSignal): Promise<boolean> {
  if (isZipPath(path)) return true;
  const handle = await openFile(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let splitter: DocumentSplitter | undefined;
    let count = 0;
    for (let position = 0; position < DETECT_LIMIT;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (!splitter) {
        const kind = bulkKindOf(chunk);
        if (!kind) return false;
        splitter = new DocumentSplitter(kind, 0, false, false);
      }
      count += splitter.push(chunk).length;
      // A document is complete only when the next one starts: one completed means two documents.
      if (count >= 1) return true;
      position += bytesRead;
    }
    return false;
  } finally {
    await handle.close();
  }
}

function shift(range: SourceRange, base: TextPoint): SourceRange {
  const at = (position: SourceRange['start']) => ({
    line: position.line + base.line,
    character: position.line === 0 ? position.character + base.character : position.character,
  });
  return {
    start: at(range.start),
    end: at(range.end),
    startOffset: range.startOffset + base.offset,
    endOffset: range.endOffset + base.offset,
  };
}

/** Moves a document's ranges from its own text to the text of the whole file. */
function placeInFile(document: PatentDocument, base: TextPoint): PatentDocument {
  if (base.offset === 0 && base.line === 0) return document;
  for (const claim of document.claims) claim.range = shift(claim.range, base);
  for (const paragraph of document.paragraphs) paragraph.range = shift(paragraph.range, base);
  return document;
}

/** "is not well-formed XML at line 3, column 5" counts from the document's start: make it the file's. */
function lineInFile(detail: string, base: TextPoint): string {
  return detail.replace(/\bat line (\d+), column (\d+)/, (_all, line: string, column: string) => {
    const l = Number(line);
    const c = l === 1 ? Number(column) + base.character : Number(column);
    return `at line ${l + base.line}, column ${c}`;
  });
}

/** Parses one document cut from a bulk file; every failure becomes a `DocumentError` naming its place. */
/** "document 3 (line 5190)", "document 3 of ipg.xml (line 12)": how messages name a document's place. */
export function describePosition(position: BulkPosition): string {
  const entry = position.entry !== undefined ? ` of ${position.entry}` : '';
  return `document ${position.ordinal}${entry} (line ${position.line + 1})`;
}

function positionOf(piece: BulkPiece, entry: string | undefined): BulkPosition {
  const position: BulkPosition = {
    ordinal: piece.ordinal,
    byteOffset: piece.byteOffset,
    line: piece.start.line,
  };
  if (entry !== undefined) position.entry = entry;
  return position;
}

function parsePiece(
  piece: BulkPiece,
  kind: BulkKind,
  file: string,
  entry: string | undefined,
  maxDocumentBytes: number,
  signal: AbortSignal | undefined,
): BulkItem {
  const position = positionOf(piece, entry);
  const where = describePosition(position);
  const fail = (problem: DocumentError['problem'], detail: string, cause?: unknown): BulkItem => ({
    position,
    error: new DocumentError(
      file,
      problem,
      `${where}: ${detail}`,
      cause === undefined ? undefined : { cause },
    ),
  });
  if (!piece.bytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    return fail(
      'too-large',
      `is ${mb(piece.size)}, larger than the limit of ${mb(maxDocumentBytes)}; skipped.`,
    );
  }
  try {
    let document: PatentDocument;
    if (kind === 'xml') {
      const { text, encoding } = decodeXml(piece.bytes, file);
      document = parsePatentXml(text, file, encoding, signal);
    } else {
      const { text, encoding } = decodeText(piece.bytes, file);
      document = parseGreenBook(text, file, encoding, signal);
    }
    if (document.claims.length === 0 && document.paragraphs.length === 0) {
      return fail('empty', 'has no claims and no description paragraphs.');
    }
    if (document.warnings) {
      // "<file>: repaired damaged XML — … at line 3, column 5": say which document, and the file's line.
      document.warnings = document.warnings.map((warning) =>
        lineInFile(
          warning.startsWith(`${file}: `)
            ? `${file}: ${where}: ${warning.slice(file.length + 2)}`
            : `${where}: ${warning}`,
          piece.start,
        ),
      );
    }
    return { position, document: placeInFile(document, piece.start) };
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof DocumentError) {
      // The parser named the file and counted lines from the document's start.
      return fail(error.problem, lineInFile(error.detail, piece.start), error.cause);
    }
    return fail('unreadable', `could not be read (${String(error)}).`, error);
  }
}

/** Splits one byte stream (a file, or a zip entry) and parses its documents as they complete. */
async function* documentsOfStream(
  stream: Readable,
  file: string,
  entry: string | undefined,
  options: BulkReadOptions,
  progress: (bytes: number) => void,
  gate: ItemGate,
): AsyncGenerator<BulkItem> {
  const maxDocumentBytes = options.maxDocumentBytes ?? DEFAULT_MAX_BYTES;
  const signal = options.signal;
  let splitter: DocumentSplitter | undefined;
  let kind: BulkKind | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      if (!splitter) {
        kind = bulkKindOf(chunk);
        if (!kind) {
          // "a.zip: ipg.xml is neither …" for an entry; "a.xml: is neither …" for the file.
          const name = entry !== undefined ? `${entry} ` : '';
          if (!gate.pass()) return;
          yield {
            position: { ordinal: 1, byteOffset: 0, line: 0, ...(entry !== undefined ? { entry } : {}) },
            error: new DocumentError(
              file,
              'unknown-format',
              `${name}is neither patent XML nor Green Book text.`,
            ),
          };
          return;
        }
        splitter = new DocumentSplitter(kind, maxDocumentBytes, isSingleByte(chunk, kind));
      }
      const pieces = splitter.push(chunk);
      progress(chunk.length);
      for (const piece of pieces) {
        if (!gate.pass()) continue;
        options.onDocument?.(positionOf(piece, entry));
        yield parsePiece(piece, kind as BulkKind, file, entry, maxDocumentBytes, signal);
        signal?.throwIfAborted();
      }
    }
    if (splitter) {
      for (const piece of splitter.end()) {
        if (!gate.pass()) continue;
        options.onDocument?.(positionOf(piece, entry));
        yield parsePiece(piece, kind as BulkKind, file, entry, maxDocumentBytes, signal);
      }
    }
  } finally {
    stream.destroy();
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) =>
      error ? reject(error) : resolve(zip),
    ),
  );
}

/** The entries of an open zip, in the order of its central directory. */
async function zipEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/') && ENTRY_PATTERN.test(entry.fileName)) entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

/** A failure to open or read the file itself (not one of its documents): a `DocumentError` naming it. */
function fileError(file: string, error: unknown): DocumentError {
  if (error instanceof DocumentError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DocumentError(file, 'unreadable', 'does not exist.');
  if (code === 'EACCES') return new DocumentError(file, 'unreadable', 'cannot be read (permission denied).');
  const reason = error instanceof Error ? error.message : String(error);
  return new DocumentError(file, 'unreadable', `could not be read (${reason}).`, { cause: error });
}

/**
 * The documents of the bulk file at `path`, one item per document as soon as it is parsed. A single
 * document that cannot be read is yielded as an error item and the rest continue; a file that cannot be
 * opened (or a damaged zip) throws a `DocumentError`. An abort throws the signal's reason before the next
 * chunk is read (chunks are 256 KB) or the next document is parsed.
 */
export async function* readDocuments(path: string, options: BulkReadOptions = {}): AsyncGenerator<BulkItem> {
  const signal = options.signal;
  signal?.throwIfAborted();
  let documents = 0;
  let bytesRead = 0;
  const gate = new ItemGate(options.skip ?? 0);
  if (!isZipPath(path)) {
    let totalBytes: number;
    try {
      totalBytes = (await stat(path)).size;
    } catch (error) {
      throw fileError(path, error);
    }
    if (totalBytes === 0) throw new DocumentError(path, 'empty', 'is empty.');
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    try {
      await opened;
    } catch (error) {
      stream.destroy();
      throw fileError(path, error);
    }
    const progress = (bytes: number) => {
      bytesRead += bytes;
      options.onProgress?.({ bytesRead, totalBytes, documents });
    };
    try {
      for await (const item of documentsOfStream(stream, path, undefined, options, progress, gate)) {
        documents++;
        yield item;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw fileError(path, error);
    }
    return;
  }
  let zip: yauzl.ZipFile;
  let entries: yauzl.Entry[];
  try {
    zip = await openZip(path);
    entries = await zipEntries(zip);
  } catch (error) {
    throw new DocumentError(
      path,
      'malformed',
      `is not a readable zip archive (${(error as Error).message}).`,
    );
  }
  try {
    if (entries.length === 0) {
      throw new DocumentError(path, 'empty', 'holds no .xml, .sgm, .txt or .greenbook file.');
    }
    const totalBytes = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    const progress = (bytes: number) => {
      bytesRead += bytes;
      options.onProgress?.({ bytesRead, totalBytes, documents });
    };
    for (const entry of entries) {
      signal?.throwIfAborted();
      let stream: Readable;
      try {
        stream = await openEntry(zip, entry);
      } catch (error) {
        if (!gate.pass()) continue;
        documents++;
        yield {
          position: { ordinal: 1, byteOffset: 0, line: 0, entry: entry.fileName },
          error: new DocumentError(
            path,
            'malformed',
            `${entry.fileName} cannot be unpacked (${(error as Error).message}).`,
          ),
        };
        continue;
      }
      try {
        for await (const item of documentsOfStream(stream, path, entry.fileName, options, progress, gate)) {
          documents++;
          yield item;
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // A damaged entry (bad CRC, truncated data): named, and the next entry is read.
        if (!gate.pass()) continue;
        documents++;
        yield {
          position: { ordinal: 0, byteOffset: 0, line: 0, entry: entry.fileName },
          error: new DocumentError(
            path,
            'malformed',
            `${entry.fileName} could not be read to its end (${(error as Error).message}).`,
          ),
        };
      }
    }
  } finally {
    zip.close();
  }
}
