/**
 * Splits the byte stream of a bulk file into its documents, incrementally and in bounded memory.
 *
 * USPTO's weekly full-text files concatenate thousands of XML documents, each starting with its own XML
 * declaration (`<?xml …?>`) and DOCTYPE; some 2001–2004 documents start with the DOCTYPE alone. Green Book
 * files (1976–2000) hold one record per `PATN` line. The splitter works on bytes (every encoding these
 * files use is ASCII-compatible, so the markers are the same bytes), keeps only the current document (up
 * to a limit; a larger one is counted and skipped, never buffered), and counts lines and UTF-16 units as
 * an editor would, so each document's position in the decoded file is known.
 */

export type BulkKind = 'xml' | 'greenbook';

/** A point of the decoded text: 0-based line and character (UTF-16), and the UTF-16 offset. */
export interface TextPoint {
  line: number;
  character: number;
  offset: number;
}

/** One document's bytes, cut from the stream. */
export interface BulkPiece {
  /** 1-based number of the document in the file (or zip entry). */
  ordinal: number;
  /** The document's bytes; undefined when it was larger than the limit (then only `size` is known). */
  bytes: Uint8Array | undefined;
  size: number;
  /** Byte offset of the document in the file (or zip entry). */
  byteOffset: number;
  /** Where the document starts in the decoded text of the file (BOM excluded, as an editor shows it). */
  start: TextPoint;
}

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const XML_DECLARATION = Buffer.from('<?xml', 'latin1');
const DOCTYPE = Buffer.from('<!DOCTYPE', 'latin1');
const PATN_LINE = Buffer.from('\nPATN', 'latin1');
/** The first of `marker` followed by whitespace (or the end of the stream) at or after `from`, before `limit`. */
function findMarker(data: Buffer, marker: Buffer, from: number, limit: number, atEnd: boolean): number {
  for (let at = data.indexOf(marker, from); at !== -1 && at < limit; at = data.indexOf(marker, at + 1)) {
    const next = data[at + marker.length];
    // "<?xml-stylesheet" is a processing instruction, not a declaration; "PATNX" no record.
    if (isSpace(next) || (next === undefined && atEnd)) return at;
  }
  return -1;
}

/** The next XML declaration or DOCTYPE. */
function nextXmlMarker(
  data: Buffer,
  from: number,
  limit: number,
  atEnd: boolean,
): { at: number; doctype: boolean } | undefined {
  const declaration = findMarker(data, XML_DECLARATION, from, limit, atEnd);
  // Only look for a DOCTYPE before the declaration (DOCTYPEs are rare: one per document).
  const doctype = findMarker(data, DOCTYPE, from, declaration === -1 ? limit : declaration, atEnd);
  if (doctype !== -1) return { at: doctype, doctype: true };
  return declaration === -1 ? undefined : { at: declaration, doctype: false };
}

/** The next line starting with "PATN" (a Green Book record); the record starts after the newline. */
function nextRecord(
  data: Buffer,
  from: number,
  limit: number,
  atEnd: boolean,
): { at: number; doctype: boolean } | undefined {
  const at = findMarker(data, PATN_LINE, from, limit, atEnd);
  return at === -1 ? undefined : { at: at + 1, doctype: false };
}

/** Bytes a marker needs to be recognised: "<!DOCTYPE" and the space after it. */
const LOOKAHEAD = 10;
/** A piece this short may still be only an XML declaration (then a DOCTYPE continues it). */
const PROLOG_BYTES = 1024;

/**
 * Counts lines and UTF-16 units of bytes as an editor counts them in the decoded text: lines end at
 * "\n", "\r\n" or a lone "\r" (as `LineIndex`). UTF-8 by default: a continuation byte adds nothing, a
 * 4-byte sequence two units (a surrogate pair); single-byte encodings count one unit per byte.
 */
export class TextCounter {
  line = 0;
  character = 0;
  offset = 0;
  private afterCr = false;

  constructor(private readonly singleByte = false) {}

  feed(bytes: Uint8Array, from = 0, to = bytes.length): void {
    let { line, character, offset, afterCr } = this;
    const singleByte = this.singleByte;
    for (let i = from; i < to; i++) {
      const b = bytes[i] as number;
      if (b === 0x0a) {
        offset++;
        if (!afterCr) {
          line++;
          character = 0;
        }
        afterCr = false;
        continue;
      }
      afterCr = b === 0x0d;
      if (afterCr) {
        offset++;
        line++;
        character = 0;
        continue;
      }
      const units = singleByte || b < 0x80 ? 1 : b < 0xc0 ? 0 : b >= 0xf0 ? 2 : 1;
      offset += units;
      character += units;
    }
    this.line = line;
    this.character = character;
    this.offset = offset;
    this.afterCr = afterCr;
  }

  point(): TextPoint {
    return { line: this.line, character: this.character, offset: this.offset };
  }
}

/**
 * Feed it the stream's chunks in order (`push`), then `end()`; each returns the documents completed so
 * far. Memory: the current document (at most `maxDocumentBytes`) plus a few bytes held back between
 * chunks so a marker split across two chunks is still found.
 */
export class DocumentSplitter {
  private held: Buffer = Buffer.alloc(0);
  /** Stream offset of `held[0]`. */
  private streamOffset = 0;
  private chunks: Uint8Array[] = [];
  /** The current document's first bytes (up to PROLOG_BYTES), kept even when the document is over the limit. */
  private head: Uint8Array[] = [];
  private headSize = 0;
  private size = 0;
  private over = false;
  private pieceOffset = 0;
  private pieceStart: TextPoint = { line: 0, character: 0, offset: 0 };
  private ordinal = 0;
  private counter: TextCounter | undefined;
  private started = false;

  constructor(
    readonly kind: BulkKind,
    private readonly maxDocumentBytes: number,
    /** Count one UTF-16 unit per byte (a single-byte encoding such as ISO-8859-1). */
    private readonly singleByte = false,
    /** Count lines and characters (a byte loop in JavaScript); off when only boundaries are wanted. */
    private readonly trackPositions = true,
  ) {}

  /** Documents completed by this chunk. */
  push(chunk: Uint8Array): BulkPiece[] {
    const out: BulkPiece[] = [];
    this.scan(chunk, false, out);
    return out;
  }

  /** The last document(s), at the end of the stream. */
  end(): BulkPiece[] {
    const out: BulkPiece[] = [];
    this.scan(new Uint8Array(0), true, out);
    this.close(out);
    return out;
  }

  private scan(chunk: Uint8Array, atEnd: boolean, out: BulkPiece[]): void {
    let data: Buffer =
      this.held.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
        : Buffer.concat([this.held, chunk]);
    if (!this.started) {
      if (data.length < 3 && !atEnd) {
        this.held = data;
        return;
      }
      this.started = true;
      this.counter = new TextCounter(this.singleByte);
      // A byte-order mark is not text an editor shows: not counted, but kept with the first document.
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        this.assign(data, 0, 3, false);
        data = data.subarray(3);
        this.streamOffset += 3;
      }
    }
    const limit = atEnd ? data.length : Math.max(0, data.length - LOOKAHEAD);
    let consumed = 0;
    let from = 0;
    while (from < limit) {
      const found =
        this.kind === 'xml' ? nextXmlMarker(data, from, limit, atEnd) : nextRecord(data, from, limit, atEnd);
      if (found === undefined) break;
      this.assign(data, consumed, found.at);
      consumed = found.at;
      from = found.at + 1;
      // A DOCTYPE right after the document's XML declaration (or at the start of the file) belongs to it.
      if (found.doctype && this.onlyProlog()) continue;
      this.close(out);
      this.pieceOffset = this.streamOffset + found.at;
      this.pieceStart = (this.counter as TextCounter).point();
    }
    this.assign(data, consumed, limit);
    this.held = Buffer.from(data.subarray(limit)); // a copy: the chunk it came from may be reused
    this.streamOffset += limit;
  }

  /** The current document holds nothing yet but (a BOM,) whitespace and an XML declaration. */
  private onlyProlog(): boolean {
    if (this.size > PROLOG_BYTES) return false;
    const text = Buffer.concat(this.head).toString('latin1');
    return /^(?:\xEF\xBB\xBF)?\s*(?:<\?xml[^>]*\?>\s*)?$/.test(text);
  }

  private assign(data: Uint8Array, from: number, to: number, count = true): void {
    if (to <= from) return;
    if (count && this.trackPositions) (this.counter as TextCounter).feed(data, from, to);
    this.size += to - from;
    if (this.headSize < PROLOG_BYTES) {
      const part = data.subarray(from, Math.min(to, from + PROLOG_BYTES - this.headSize));
      this.head.push(part);
      this.headSize += part.length;
    }
    if (this.over) return;
    if (this.size > this.maxDocumentBytes) {
      this.over = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(data.subarray(from, to));
  }

  private close(out: BulkPiece[]): void {
    const size = this.size;
    const over = this.over;
    const bytes = over
      ? undefined
      : this.chunks.length === 1
        ? Uint8Array.from(this.chunks[0] as Uint8Array)
        : Buffer.concat(this.chunks);
    const head = Buffer.concat(this.head);
    this.chunks = [];
    this.head = [];
    this.headSize = 0;
    this.size = 0;
    this.over = false;
    if (size === 0 || !this.isDocument(head, size)) return;
    out.push({ ordinal: ++this.ordinal, bytes, size, byteOffset: this.pieceOffset, start: this.pieceStart });
  }

  /** Whitespace between documents is none; a Green Book file's header (before the first PATN) is none. */
  private isDocument(bytes: Uint8Array, size: number): boolean {
    let i = 0;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    while (i < bytes.length && isSpace(bytes[i])) i++;
    if (i === bytes.length) return size > bytes.length;
    if (this.kind === 'greenbook') {
      return bytes[i] === 0x50 && bytes[i + 1] === 0x41 && bytes[i + 2] === 0x54 && bytes[i + 3] === 0x4e;
    }
    return true;
  }
}
