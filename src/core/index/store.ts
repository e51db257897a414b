/**
 * The on-disk passage cache: one binary file per workspace.
 *
 *   bytes 0-7    magic "PPIDX\x00\r\n" (the CR LF catches text-mode mangling)
 *   8-11         schema version (u32 LE)
 *   12-15        header length H (u32 LE)
 *   16-19        CRC-32 of the header
 *   20..20+H     header, UTF-8 JSON: model id, dims, embedding recipe, counts, section lengths + CRCs
 *   vectors      hashes (16 B each) · row counts (u16, padded to 4 B) · scales (f32 per row) · int8 rows
 *   documents    one JSON record per line (parsed in slices so a large cache never blocks the thread)
 *   lexical      (schema 2) the BM25 postings, slots numbered as the paragraphs come in the documents
 *                section; opaque here (`Bm25Index.encodeSteps`), with its own CRC and an identity string
 *                (analyzer and BM25 settings). Schema 1 files have no such section: they still load.
 *   last 8 bytes "PPIDXEND"
 *
 * Writes are atomic: a temporary file in the same folder, fsync, rename, fsync of the folder. A reader
 * therefore sees the old file or the new one, never a mix; a truncated or bit-flipped file fails its
 * length or CRC check and is reported as `StoreProblem` 'corrupt'. So does a file whose checksums hold but
 * whose header or records have the wrong shape (written by another version, or by hand): every field is
 * checked on load (`readHeader`, `readDocumentRecord`, `readParagraphRecord`), so nothing of the wrong type
 * reaches the index. Temporary files of writers that were killed before their rename are swept on load.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { DocumentFormat, SourceRange } from '../documents/model';
import { VectorTable } from '../search/vector-table';

export const STORE_MAGIC = Buffer.from('PPIDX\x00\r\n', 'latin1');
const END_MAGIC = Buffer.from('PPIDXEND', 'latin1');
export const STORE_SCHEMA_VERSION = 2;
/** Still read: the same without the lexical section (postings are rebuilt from the texts). */
const OLDEST_READABLE_SCHEMA = 1;
const PREAMBLE_BYTES = 20;
/**
 * Work between yields when loading or saving: 4 ms, so that a slice plus a collection pause stays under
 * the 20 ms stall the 100k bench allows (8 ms slices reached 25–30 ms there).
 */
const SLICE_MS = 4;

export interface StoredParagraph {
  id: string;
  number?: string;
  text: string;
  /** Absent when equal to `text`. */
  matchText?: string;
  range: SourceRange;
  /** Hash of the embedded text (32 hex digits): the key of the paragraph's vectors. */
  hash: string;
}

export interface StoredDocument {
  uri: string;
  size: number;
  mtimeMs: number;
  /** Editor version when the content came from unsaved editor text. */
  version?: number;
  format: DocumentFormat;
  label: string;
  publicationNumber?: string;
  title?: string;
  /**
   * For a document inside a bulk file (several documents in one file): its number there (1-based) and,
   * in a zip, its entry. All documents of a file share the file's `uri`, `size` and `mtimeMs`.
   */
  part?: { ordinal: number; entry?: string };
  paragraphs: StoredParagraph[];
}

/**
 * The identity of a document in the index: its file's uri, and for a document inside a bulk file the
 * uri plus its place there (`<uri>#<n>`, `<uri>#<entry>#<n>` in a zip). Citation keys (D1, D2…) are given
 * per identity, so each patent of a bulk file is cited on its own.
 */
export function documentKeyOf(stored: Pick<StoredDocument, 'uri' | 'part'>): string {
  if (!stored.part) return stored.uri;
  const entry = stored.part.entry !== undefined ? `${stored.part.entry}#` : '';
  return `${stored.uri}#${entry}${stored.part.ordinal}`;
}

/** What must match for stored vectors to be usable. */
export interface StoreIdentity {
  modelId: string;
  dims: number;
  /** How paragraphs become embedded texts (windowing); a change re-embeds everything. */
  recipe: string;
}

/** The persisted lexical index: its bytes, and what they were built with (a mismatch rebuilds them). */
export interface LexicalSection {
  identity: string;
  bytes: Uint8Array;
}

export interface StoreContents {
  identity: StoreIdentity;
  documents: StoredDocument[];
  vectors: VectorTable;
  /** Absent when the file has none (schema 1) or it was damaged (`lexicalProblem` says why). */
  lexical?: LexicalSection;
}

export interface LoadedStore extends StoreContents {
  /** The file's schema version: older than `STORE_SCHEMA_VERSION` means it should be written again. */
  schema: number;
  /** Why a lexical section that was present cannot be used (checksum); the rest of the file is sound. */
  lexicalProblem?: string;
}

/**
 * Why a store did not load. 'corrupt': damaged or of the wrong shape (set it aside, rebuild);
 * 'not-a-file': the path is a directory or another non-file (leave it alone, keep the index in memory).
 */
export type StoreProblem = 'missing' | 'corrupt' | 'mismatch' | 'unreadable' | 'not-a-file';

export type StoreLoad =
  { ok: true; contents: LoadedStore } | { ok: false; problem: StoreProblem; message: string };

interface Header {
  modelId: string;
  dims: number;
  recipe: string;
  quantization: 'int8';
  entries: number;
  rows: number;
  vectorBytes: number;
  vectorCrc: number;
  documentBytes: number;
  documentCrc: number;
  documents: number;
  savedAt: string;
  /** Schema 2; `lexicalBytes` 0 when the writer stored no postings. */
  lexicalIdentity?: string;
  lexicalBytes?: number;
  lexicalCrc?: number;
}

type CompactRange = [number, number, number, number, number, number];
type CompactParagraph = [string, string | null, string, string | null, CompactRange, string];

/**
 * Reads and checks a store; never throws for a bad or missing file (the caller rebuilds). Sweeps stale
 * temporary files of killed writers beside it first (`sweepTemporaryFiles`).
 */
export async function loadStore(path: string, expected: StoreIdentity): Promise<StoreLoad> {
  await sweepTemporaryFiles(path).catch(() => undefined);
  try {
    return await readStore(path, expected);
  } catch (error) {
    // The checks below are meant to catch every bad file; this is the backstop that keeps the promise.
    return {
      ok: false,
      problem: 'corrupt',
      message: `${path}: the cache is damaged (${error instanceof Error ? error.message : String(error)}); it will be rebuilt`,
    };
  }
}

async function readStore(path: string, expected: StoreIdentity): Promise<StoreLoad> {
  let bytes: Buffer;
  try {
    const kind = await fileKind(path);
    if (kind !== 'file' && kind !== 'missing') {
      return {
        ok: false,
        problem: 'not-a-file',
        message: `${path} is ${kind}, not a cache file; it is left as it is (remove it or choose another cache path)`,
      };
    }
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, problem: 'missing', message: `${path}: no cache yet` };
    return {
      ok: false,
      problem: 'unreadable',
      message: `${path}: cannot read the cache (${code ?? String(error)})`,
    };
  }
  const corrupt = (why: string): StoreLoad => ({
    ok: false,
    problem: 'corrupt',
    message: `${path}: the cache is damaged (${why}); it will be rebuilt`,
  });
  if (bytes.length < PREAMBLE_BYTES + END_MAGIC.length || !bytes.subarray(0, 8).equals(STORE_MAGIC)) {
    return corrupt('not a Patent Passages cache file');
  }
  const schema = bytes.readUInt32LE(8);
  if (schema < OLDEST_READABLE_SCHEMA || schema > STORE_SCHEMA_VERSION) {
    return {
      ok: false,
      problem: 'mismatch',
      message: `${path}: cache schema ${schema}, this version uses ${STORE_SCHEMA_VERSION}`,
    };
  }
  const headerLength = bytes.readUInt32LE(12);
  const headerEnd = PREAMBLE_BYTES + headerLength;
  if (headerEnd > bytes.length) return corrupt('truncated header');
  const headerBytes = bytes.subarray(PREAMBLE_BYTES, headerEnd);
  if (crc32(headerBytes) !== bytes.readUInt32LE(16)) return corrupt('header checksum mismatch');
  let header: Header;
  try {
    header = readHeader(JSON.parse(headerBytes.toString('utf8')), schema);
  } catch (error) {
    return corrupt(error instanceof ShapeError ? `header: ${error.message}` : 'unreadable header');
  }
  if (
    header.modelId !== expected.modelId ||
    header.dims !== expected.dims ||
    header.recipe !== expected.recipe
  ) {
    return {
      ok: false,
      problem: 'mismatch',
      message: `${path}: built with ${header.modelId} (${header.dims}-d, ${header.recipe}); now ${expected.modelId} (${expected.dims}-d, ${expected.recipe})`,
    };
  }
  const vectorStart = headerEnd;
  const documentStart = vectorStart + header.vectorBytes;
  const documentEnd = documentStart + header.documentBytes;
  const lexicalEnd = documentEnd + (header.lexicalBytes ?? 0);
  if (lexicalEnd + END_MAGIC.length !== bytes.length)
    return corrupt(`length ${bytes.length}, expected ${lexicalEnd + END_MAGIC.length}`);
  if (!bytes.subarray(lexicalEnd).equals(END_MAGIC)) return corrupt('missing end marker');
  const vectorBytes = bytes.subarray(vectorStart, documentStart);
  const documentBytes = bytes.subarray(documentStart, documentEnd);
  if ((await sliceCrc(vectorBytes)) !== header.vectorCrc) return corrupt('vector checksum mismatch');
  if ((await sliceCrc(documentBytes)) !== header.documentCrc) return corrupt('document checksum mismatch');

  const vectors = await readVectors(vectorBytes, header);
  if (!vectors) return corrupt('inconsistent vector section');
  const documents: StoredDocument[] = [];
  const keys = new Set<string>();
  let sliceStart = performance.now();
  // One record at a time, decoded from the bytes: no giant string of the whole section.
  for (let start = 0; start < documentBytes.length;) {
    let end = documentBytes.indexOf(10, start);
    if (end < 0) end = documentBytes.length;
    const line = documentBytes.toString('utf8', start, end);
    start = end + 1;
    if (!line) continue;
    try {
      const document = readDocumentRecord(JSON.parse(line));
      const key = documentKeyOf(document);
      if (keys.has(key)) throw new ShapeError(`${key.slice(0, 200)} is stored twice`);
      keys.add(key);
      documents.push(document);
    } catch (error) {
      const why = error instanceof ShapeError ? `: ${error.message}` : ' (not JSON)';
      return corrupt(`document record ${documents.length + 1}${why}`);
    }
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  if (documents.length !== header.documents)
    return corrupt(`${documents.length} document records, the header says ${header.documents}`);
  const contents: LoadedStore = { identity: expected, documents, vectors, schema };
  if (header.lexicalBytes) {
    // Damaged postings do not condemn the documents and vectors: they are rebuilt from the texts.
    const lexicalBytes = bytes.subarray(documentEnd, lexicalEnd);
    if ((await sliceCrc(lexicalBytes)) !== header.lexicalCrc)
      contents.lexicalProblem = `${path}: the stored word index is damaged (checksum mismatch); it is rebuilt from the paragraphs`;
    else contents.lexical = { identity: header.lexicalIdentity ?? '', bytes: lexicalBytes };
  }
  return { ok: true, contents };
}

/** What is at a path: 'missing', 'file', or a phrase for anything else ('a directory', …). */
async function fileKind(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (info.isFile()) return 'file';
    return info.isDirectory() ? 'a directory' : 'not a regular file';
  } catch (error) {
    // Anything else (EACCES, ENOTDIR…) is left to the read, which reports it.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'file';
  }
}

/** Temporary files older than this are stale even if a process with the writer's id is running. */
export const STALE_TEMPORARY_MS = 15 * 60_000;
/** A killed writer's file is left alone this long, in case its pid belongs to another pid namespace. */
const DEAD_WRITER_GRACE_MS = 60_000;

/**
 * Removes temporary files that writers of this store left when they were killed between write and
 * rename: only names `writeFileAtomic` makes for this path (`<name>.<pid>.<8 hex>.tmp`), and only when
 * the writing process is gone (and the file is over a minute old) or the file is over 15 minutes old.
 * Best effort: returns the names it removed.
 */
export async function sweepTemporaryFiles(path: string, now = Date.now()): Promise<string[]> {
  const folder = dirname(path);
  const pattern = new RegExp(`^${escapeRegExp(basename(path))}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const file = join(folder, name);
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      const age = now - info.mtimeMs;
      const stale = age > STALE_TEMPORARY_MS || (age > DEAD_WRITER_GRACE_MS && !isRunning(Number(match[1])));
      if (!stale) continue;
      await rm(file, { force: true });
      removed.push(name);
    } catch {
      /* vanished or not ours to remove: leave it */
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Writes the store atomically. Throws (with the path in the message) when the disk refuses. */
export async function saveStore(path: string, contents: StoreContents): Promise<number> {
  const { identity, vectors } = contents;
  const vectorBytes = writeVectors(vectors);
  const lines: Buffer[] = [];
  let sliceStart = performance.now();
  for (const document of contents.documents) {
    lines.push(Buffer.from(JSON.stringify(compactDocument(document)) + '\n', 'utf8'));
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  const documentBytes = Buffer.concat(lines);
  const lexicalBytes = contents.lexical?.bytes ?? new Uint8Array(0);
  const header: Header = {
    modelId: identity.modelId,
    dims: identity.dims,
    recipe: identity.recipe,
    quantization: 'int8',
    entries: vectors.entryCount,
    rows: vectors.rowCount,
    vectorBytes: vectorBytes.length,
    vectorCrc: await sliceCrc(vectorBytes),
    documentBytes: documentBytes.length,
    documentCrc: await sliceCrc(documentBytes),
    documents: contents.documents.length,
    savedAt: new Date().toISOString(),
    lexicalIdentity: contents.lexical?.identity ?? '',
    lexicalBytes: lexicalBytes.length,
    lexicalCrc: await sliceCrc(lexicalBytes),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  STORE_MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(STORE_SCHEMA_VERSION, 8);
  preamble.writeUInt32LE(headerBytes.length, 12);
  preamble.writeUInt32LE(crc32(headerBytes), 16);
  const parts = [preamble, headerBytes, vectorBytes, documentBytes, lexicalBytes, END_MAGIC];
  await writeFileAtomic(path, parts);
  return parts.reduce((sum, part) => sum + part.length, 0);
}

/**
 * Temporary file in the same folder, fsync, rename over the target, fsync the folder. Refuses (before
 * writing anything) when the target is a directory or another non-file: nothing is replaced.
 */
export async function writeFileAtomic(path: string, parts: readonly Uint8Array[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const kind = await fileKind(path);
  if (kind !== 'file' && kind !== 'missing') {
    throw Object.assign(new Error(`${path} is ${kind}, not a file; nothing was written`), {
      code: 'ENOTFILE',
    });
  }
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      for (const part of parts) {
        let written = 0;
        while (written < part.length) {
          const { bytesWritten } = await handle.write(part, written, part.length - written);
          written += bytesWritten;
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  // The rename is durable only once the folder is synced; not every platform allows it (Windows).
  try {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    /* best effort */
  }
}

async function sliceCrc(bytes: Uint8Array): Promise<number> {
  const chunk = 8 << 20;
  let value = 0;
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    value = crc32(bytes.subarray(offset, Math.min(bytes.length, offset + chunk)), value);
    if (offset + chunk < bytes.length) await yieldToEventLoop();
  }
  return value;
}

function writeVectors(vectors: VectorTable): Buffer {
  const hashes = [...vectors.hashes()];
  const entries = hashes.length;
  let rows = 0;
  for (const hash of hashes) rows += vectors.get(hash)?.rowCount ?? 0;
  const countBytes = align4(entries * 2);
  const buffer = Buffer.alloc(entries * 16 + countBytes + rows * 4 + rows * vectors.dims);
  const countsOffset = entries * 16;
  const scalesOffset = countsOffset + countBytes;
  const dataOffset = scalesOffset + rows * 4;
  let row = 0;
  hashes.forEach((hash, i) => {
    buffer.write(hash, i * 16, 16, 'hex');
    const stored = vectors.rowsOf(hash);
    if (!stored) return;
    const count = stored.scales.length;
    buffer.writeUInt16LE(count, countsOffset + i * 2);
    for (let r = 0; r < count; r++) buffer.writeFloatLE(stored.scales[r] ?? 0, scalesOffset + (row + r) * 4);
    buffer.set(
      new Uint8Array(stored.data.buffer, stored.data.byteOffset, stored.data.length),
      dataOffset + row * vectors.dims,
    );
    row += count;
  });
  return buffer;
}

async function readVectors(bytes: Buffer, header: Header): Promise<VectorTable | undefined> {
  const { entries, rows, dims } = header;
  const countBytes = align4(entries * 2);
  const countsOffset = entries * 16;
  const scalesOffset = countsOffset + countBytes;
  const dataOffset = scalesOffset + rows * 4;
  if (dataOffset + rows * dims !== bytes.length) return undefined;
  const table = new VectorTable(dims, Math.max(rows, 1));
  // Copy into aligned arrays: the file buffer's offsets need not be 4-byte aligned.
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = bytes.readFloatLE(scalesOffset + r * 4);
  // Int8 rows need no alignment: each entry is copied straight from the file's buffer into the table.
  const data = new Int8Array(bytes.buffer, bytes.byteOffset + dataOffset, rows * dims);
  let row = 0;
  let sliceStart = performance.now();
  for (let i = 0; i < entries; i++) {
    if ((i & 1023) === 0 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    const count = bytes.readUInt16LE(countsOffset + i * 2);
    if (row + count > rows) return undefined;
    const hash = bytes.toString('hex', i * 16, i * 16 + 16);
    table.setQuantized(
      hash,
      data.subarray(row * dims, (row + count) * dims),
      scales.subarray(row, row + count),
    );
    row += count;
  }
  return row === rows ? table : undefined;
}

interface CompactDocument {
  u: string;
  s: number;
  m: number;
  v?: number;
  f: DocumentFormat;
  l: string;
  n?: string;
  t?: string;
  /** `part`: [ordinal, entry or null]. */
  b?: [number, string | null];
  p: CompactParagraph[];
}

function compactDocument(d: StoredDocument): CompactDocument {
  const compact: CompactDocument = {
    u: d.uri,
    s: d.size,
    m: d.mtimeMs,
    f: d.format,
    l: d.label,
    p: d.paragraphs.map((p) => [
      p.id,
      p.number ?? null,
      p.text,
      p.matchText ?? null,
      [
        p.range.start.line,
        p.range.start.character,
        p.range.end.line,
        p.range.end.character,
        p.range.startOffset,
        p.range.endOffset,
      ],
      p.hash,
    ]),
  };
  if (d.version !== undefined) compact.v = d.version;
  if (d.publicationNumber !== undefined) compact.n = d.publicationNumber;
  if (d.title !== undefined) compact.t = d.title;
  if (d.part !== undefined) compact.b = [d.part.ordinal, d.part.entry ?? null];
  return compact;
}

// ---- shape checks of loaded records: one function per record type, each field checked ------------------
// A new field: add it to the compact type, to `compactDocument` and to the record's reader below.

/** A field of a loaded record with the wrong type or shape; the message says which and what was found. */
class ShapeError extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new ShapeError(`${field} is ${describe(value)}, expected ${expected}`);
}

function asString(value: unknown, field: string): string {
  return typeof value === 'string' ? value : fail(field, 'a string', value);
}

function asOptionalString(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : asString(value, field);
}

function asNumber(value: unknown, field: string): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fail(field, 'a number', value);
}

function asCount(value: unknown, field: string): number {
  return Number.isSafeInteger(value) && (value as number) >= 0
    ? (value as number)
    : fail(field, 'a whole number ≥ 0', value);
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : fail(field, 'an object', value);
}

function asArray(value: unknown, field: string, length?: number): unknown[] {
  if (!Array.isArray(value)) fail(field, 'an array', value);
  if (length !== undefined && value.length !== length)
    throw new ShapeError(`${field} has ${value.length} items, expected ${length}`);
  return value;
}

function readHeader(value: unknown, schema: number): Header {
  const h = asRecord(value, 'the header');
  if (h.quantization !== 'int8') fail('quantization', "'int8'", h.quantization);
  const header: Header = {
    modelId: asString(h.modelId, 'modelId'),
    dims: asCount(h.dims, 'dims'),
    recipe: asString(h.recipe, 'recipe'),
    quantization: 'int8',
    entries: asCount(h.entries, 'entries'),
    rows: asCount(h.rows, 'rows'),
    vectorBytes: asCount(h.vectorBytes, 'vectorBytes'),
    vectorCrc: asCount(h.vectorCrc, 'vectorCrc'),
    documentBytes: asCount(h.documentBytes, 'documentBytes'),
    documentCrc: asCount(h.documentCrc, 'documentCrc'),
    documents: asCount(h.documents, 'documents'),
    savedAt: asString(h.savedAt, 'savedAt'),
  };
  if (schema >= 2) {
    header.lexicalIdentity = asString(h.lexicalIdentity, 'lexicalIdentity');
    header.lexicalBytes = asCount(h.lexicalBytes, 'lexicalBytes');
    header.lexicalCrc = asCount(h.lexicalCrc, 'lexicalCrc');
  }
  return header;
}

/** A compact document record (`CompactDocument`) → `StoredDocument`, or a `ShapeError` naming the field. */
function readDocumentRecord(value: unknown): StoredDocument {
  const c = asRecord(value, 'the record');
  const uri = asString(c.u, 'uri');
  try {
    const format = asString(c.f, 'format');
    // Any non-empty name: formats are added over time, and an unknown one only changes the role guess.
    if (!format) throw new ShapeError('format is empty');
    const document: StoredDocument = {
      uri,
      size: asCount(c.s, 'size'),
      mtimeMs: asNumber(c.m, 'mtimeMs'),
      format: format as DocumentFormat,
      label: asString(c.l, 'label'),
      paragraphs: asArray(c.p, 'paragraphs').map((p, i) => readParagraphRecord(p, `paragraph ${i + 1}`)),
    };
    if (c.v !== undefined) document.version = asNumber(c.v, 'version');
    const publicationNumber = asOptionalString(c.n, 'publicationNumber');
    if (publicationNumber !== undefined) document.publicationNumber = publicationNumber;
    const title = asOptionalString(c.t, 'title');
    if (title !== undefined) document.title = title;
    if (c.b !== undefined) document.part = readPart(c.b);
    return document;
  } catch (error) {
    if (error instanceof ShapeError) throw new ShapeError(`${uri.slice(0, 200)}: ${error.message}`);
    throw error;
  }
}

/** A bulk file's document: `[ordinal ≥ 1, zip entry name or null]`. */
function readPart(value: unknown): NonNullable<StoredDocument['part']> {
  const [ordinal, entry] = asArray(value, 'part', 2);
  const n = asCount(ordinal, 'part ordinal');
  if (n < 1) throw new ShapeError('part ordinal is 0, expected 1 or more');
  return entry === null ? { ordinal: n } : { ordinal: n, entry: asString(entry, 'part entry') };
}

const HASH = /^[0-9a-f]{32}$/;

function asHash(value: unknown, field: string): string {
  const hash = asString(value, field);
  if (!HASH.test(hash)) throw new ShapeError(`${field} is not 32 hex digits`);
  return hash;
}

/** A compact paragraph (`CompactParagraph`, a 6-tuple) → `StoredParagraph`. */
function readParagraphRecord(value: unknown, where: string): StoredParagraph {
  const [id, number, text, matchText, r, hash] = asArray(value, where, 6);
  const range = asArray(r, `${where} range`, 6).map((n) => asCount(n, `${where} range value`));
  const paragraph: StoredParagraph = {
    id: asString(id, `${where} id`),
    text: asString(text, `${where} text`),
    range: {
      start: { line: range[0] as number, character: range[1] as number },
      end: { line: range[2] as number, character: range[3] as number },
      startOffset: range[4] as number,
      endOffset: range[5] as number,
    },
    hash: asHash(hash, `${where} hash`),
  };
  if (number !== null) paragraph.number = asString(number, `${where} number`);
  if (matchText !== null) paragraph.matchText = asString(matchText, `${where} matchText`);
  return paragraph;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
