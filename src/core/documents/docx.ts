import mammoth from 'mammoth';
import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { DocumentError } from './errors';

/**
 * Limits of a Word file, checked on the ZIP before mammoth sees it (issue 10: a 47 KB DOCX of empty
 * paragraphs expanded to 30 MiB of XML and took minutes and gigabytes in mammoth; a 1 MB DOCX carried a
 * 1 GiB image that mammoth base64-encoded). Real patent drafts are far below each: the document.xml of a
 * 100-page application is a few MB and holds a few thousand paragraphs.
 */
export const DOCX_LIMITS = {
  /** Uncompressed bytes of any one part handed to mammoth (document.xml, styles, numbering, …). */
  maxPartBytes: 64 * 1024 * 1024,
  /** Uncompressed bytes of all parts handed to mammoth together. */
  maxTotalBytes: 128 * 1024 * 1024,
  /** Entries in the archive (a Word file has a few dozen). */
  maxEntries: 10_000,
  /** Paragraph elements (`<w:p>`) in all parts together. */
  maxParagraphs: 200_000,
  /**
   * Elements of any kind in all parts together. mammoth holds ~1 KB per element (5.2 million `<w:p/>`
   * took over 3 GB); a long Word application has a few hundred thousand (runs, properties, bookmarks).
   */
  maxElements: 2_000_000,
};

/**
 * Parts mammoth reads: XML and relationships. Everything else (images under word/media, embedded
 * objects, fonts, macros) is left compressed and never given to mammoth, so no image is ever inflated.
 */
function isTextPart(name: string): boolean {
  return /\.(?:xml|rels)$/i.test(name) && !name.endsWith('/');
}

function mebibytes(n: number): string {
  return `${Number((n / 1024 / 1024).toFixed(1))} MiB`;
}

/**
 * Start tags in UTF-8 XML bytes: all of them (`elements`), and those of paragraphs (`<w:p>`, `<w:p/>`,
 * `<w:p w:rsidR=…>`, any prefix). Linear.
 */
export function countTags(bytes: Uint8Array): { elements: number; paragraphs: number } {
  let count = 0;
  let elements = 0;
  const n = bytes.length;
  for (let i = bytes.indexOf(0x3c); i >= 0 && i < n; i = bytes.indexOf(0x3c, i + 1)) {
    const first = bytes[i + 1];
    if (first !== 0x2f && first !== 0x3f && first !== 0x21) elements++; // not </, <?, <!
    let j = i + 1;
    // An optional prefix: name characters up to a colon (bounded: prefixes are short).
    let k = j;
    while (k < n && k - j < 32) {
      const c = bytes[k] as number;
      if (c === 0x3a) {
        j = k + 1;
        break;
      }
      const nameChar =
        (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
      if (!nameChar) break;
      k++;
    }
    if (bytes[j] !== 0x70) continue; // p
    const after = bytes[j + 1];
    if (
      after === 0x3e ||
      after === 0x2f ||
      after === 0x20 ||
      after === 0x09 ||
      after === 0x0a ||
      after === 0x0d
    )
      count++;
  }
  return { elements, paragraphs: count };
}

/**
 * Reads the text parts of a DOCX with yauzl, within `DOCX_LIMITS`: sizes are checked on the central
 * directory before anything is inflated, and yauzl checks while inflating that no entry inflates past
 * its declared size. Throws a `DocumentError` naming the limit.
 */
async function readTextParts(bytes: Uint8Array, file: string): Promise<Map<string, Uint8Array>> {
  const refuse = (detail: string) => new DocumentError(file, 'too-large', detail);
  const zip = await yauzl.fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    lazyEntries: true,
    validateEntrySizes: true,
    decodeStrings: true,
    strictFileNames: false,
  });
  const parts = new Map<string, Uint8Array>();
  try {
    if (zip.entryCount > DOCX_LIMITS.maxEntries)
      throw refuse(`has ${zip.entryCount} ZIP entries, more than the limit of ${DOCX_LIMITS.maxEntries}.`);
    let total = 0;
    const entries: yauzl.Entry[] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry);
        zip.readEntry();
      });
      zip.once('end', resolve);
      zip.once('error', reject);
      zip.readEntry();
    });
    for (const entry of entries) {
      if (!isTextPart(entry.fileName)) continue;
      if (entry.uncompressedSize > DOCX_LIMITS.maxPartBytes)
        throw refuse(
          `has a part (${entry.fileName}) of ${mebibytes(entry.uncompressedSize)} uncompressed, more than the limit of ${mebibytes(DOCX_LIMITS.maxPartBytes)}.`,
        );
      total += entry.uncompressedSize;
      if (total > DOCX_LIMITS.maxTotalBytes)
        throw refuse(
          `has more than ${mebibytes(DOCX_LIMITS.maxTotalBytes)} of XML uncompressed (the limit).`,
        );
    }
    let paragraphs = 0;
    let elements = 0;
    for (const entry of entries) {
      if (!isTextPart(entry.fileName)) continue;
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      // Counted while inflating, so a bomb stops at the limit, not after inflating everything. (A tag
      // split between two chunks is missed: the count is a lower bound, which is fine for a limit.)
      for await (const chunk of stream) {
        const tags = countTags(chunk as Buffer);
        paragraphs += tags.paragraphs;
        elements += tags.elements;
        const over =
          paragraphs > DOCX_LIMITS.maxParagraphs
            ? `${DOCX_LIMITS.maxParagraphs.toLocaleString('en-US')} paragraphs`
            : elements > DOCX_LIMITS.maxElements
              ? `${DOCX_LIMITS.maxElements.toLocaleString('en-US')} XML elements`
              : undefined;
        if (over) {
          stream.destroy();
          throw refuse(`has more than ${over} (the limit; counted in ${entry.fileName}).`);
        }
        chunks.push(chunk as Buffer);
      }
      parts.set(entry.fileName, new Uint8Array(Buffer.concat(chunks)));
    }
  } finally {
    zip.close();
  }
  return parts;
}

/** A ZIP of stored (uncompressed) entries: what mammoth gets, the checked text parts and nothing else. */
function storedZip(parts: ReadonlyMap<string, Uint8Array>): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [fileName, data] of parts) {
    const name = Buffer.from(fileName, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 name
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    chunks.push(local, name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += 30 + name.length + data.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.size, 8);
  end.writeUInt16LE(parts.size, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, ...central, end]);
}

/** The slice of mammoth's document tree we walk (mammoth ships no types for it). */
interface MammothNode {
  type: string;
  value?: string;
  children?: MammothNode[];
  numbering?: { isOrdered?: boolean; level?: string } | null;
  styleName?: string | null;
}

export interface ExtractedDocx {
  /** One paragraph per line, blocks separated by blank lines. */
  text: string;
  /** Lines (0-based) that hold a paragraph styled as a title or heading. */
  headingLines: ReadonlySet<number>;
}

/**
 * The text of a DOCX file, one paragraph per block separated by blank lines. Word's automatic list
 * numbering is not in the text runs, so it is rebuilt here: a claim numbered by a Word list comes out as
 * "1. A method ...", as if typed, and the draft-text parser reads it like any other draft.
 *
 * The ZIP is checked against `DOCX_LIMITS` first, and mammoth gets a copy holding only the text parts:
 * images are never inflated, and mammoth renders no HTML (its document tree is read, then dropped).
 */
export async function extractDocxText(bytes: Uint8Array, file: string): Promise<ExtractedDocx> {
  let parts: Map<string, Uint8Array>;
  try {
    parts = await readTextParts(bytes, file);
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(
      file,
      'malformed',
      `is not a readable Word document (${(error as Error).message}).`,
    );
  }
  const blocks: { text: string; heading: boolean }[] = [];
  const counters = new Map<object, number>();
  const walk = (node: MammothNode): string => {
    if (node.type === 'text') return node.value ?? '';
    if (node.type === 'tab') return '\t';
    if (node.type === 'break') return '\n';
    return (node.children ?? []).map(walk).join('');
  };
  const visit = (node: MammothNode) => {
    if (node.type === 'paragraph') {
      let text = walk(node);
      const numbering = node.numbering;
      if (numbering?.isOrdered) {
        const count = (counters.get(numbering) ?? 0) + 1;
        counters.set(numbering, count);
        if (text.trim()) text = `${count}. ${text}`;
      }
      blocks.push({ text, heading: /^(?:title|subtitle|heading\b)/i.test(node.styleName ?? '') });
      return;
    }
    for (const child of node.children ?? []) visit(child);
  };
  try {
    await mammoth.convertToHtml(
      { buffer: storedZip(parts) },
      {
        transformDocument: (document: MammothNode) => {
          visit(document);
          // Nothing left to render: no HTML is built, no image is read.
          return { ...document, children: [] };
        },
      },
    );
  } catch (error) {
    throw new DocumentError(
      file,
      'malformed',
      `is not a readable Word document (${(error as Error).message}).`,
    );
  }
  const lines: string[] = [];
  const headingLines = new Set<number>();
  for (const block of blocks) {
    if (block.heading) headingLines.add(lines.length);
    lines.push(block.text.replace(/[\r\n]+/g, ' ').trimEnd(), '');
  }
  return { text: lines.join('\n'), headingLines };
}
