/**
 * Generators of the document bombs of issue 10: small files that expand into huge work. Generated here, not
 * committed as binaries, and sized by argument so the default tests use the real thing (or a scaled copy)
 * and the fuzz campaign (scripts/fuzz/) the same code.
 *
 * - `fanOutPdf`: a page tree whose nested /Kids reference one page fanout^levels times (10⁹ by default)
 *   in a few KB.
 * - `emptyParagraphsDocx`: a DOCX whose document.xml is megabytes of `<w:p/>` (30 MiB deflates to ~50 KB).
 * - `hugeImageDocx`: a real one-paragraph DOCX with an image that inflates to 1 GiB (~1 MB on disk).
 * - `emptyParagraphsXml`: a USPTO grant whose description is megabytes of `<p/>`.
 * - `inflatingStreamPdf`: a 1 MB PDF whose content stream inflates to 1 GiB (not in the issue; same kind).
 */
import { crc32, constants as zlibConstants, deflateRawSync } from 'node:zlib';

const encoder = new TextEncoder();

/** One entry of a ZIP archive: the stored bytes (deflated unless `store`) and what they inflate to. */
export interface ZipEntry {
  name: string;
  /** The deflate-raw (or stored) bytes as written. */
  compressed: Uint8Array;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  crc: number;
  /** The uncompressed size written in the headers (a lie if the caller wants one). */
  size: number;
}

/** A deflated entry of real data. */
export function deflatedEntry(name: string, data: Uint8Array | string): ZipEntry {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return {
    name,
    compressed: deflateRawSync(bytes, { level: 9 }),
    method: 8,
    crc: crc32(bytes),
    size: bytes.length,
  };
}

/**
 * A deflated entry of `size` zero bytes, written without ever holding them: one MiB of zeros deflated
 * with a sync flush is a non-final block sequence, repeated, then an empty final block. CRC and size are
 * the true ones, so a reader that inflates it really gets `size` bytes.
 */
export function zerosEntry(name: string, size: number): ZipEntry {
  const MiB = 1024 * 1024;
  if (size % MiB !== 0) throw new Error('zerosEntry: size must be whole MiB');
  const chunk = new Uint8Array(MiB);
  const block = deflateRawSync(chunk, { level: 9, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const count = size / MiB;
  const finalEmpty = Uint8Array.of(0x03, 0x00); // BFINAL=1, fixed Huffman, end of block
  const compressed = new Uint8Array(block.length * count + finalEmpty.length);
  let crc = 0;
  for (let i = 0; i < count; i++) {
    compressed.set(block, i * block.length);
    crc = crc32(chunk, crc);
  }
  compressed.set(finalEmpty, block.length * count);
  return { name, compressed, method: 8, crc, size };
}

/** A ZIP archive (local headers, data, central directory); no ZIP64, so sizes stay under 4 GiB. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed
    local.setUint16(6, 0x0800, true); // UTF-8 names
    local.setUint16(8, entry.method, true);
    local.setUint32(14, entry.crc >>> 0, true);
    local.setUint32(18, entry.compressed.length, true);
    local.setUint32(22, entry.size >>> 0, true);
    local.setUint16(26, name.length, true);
    parts.push(new Uint8Array(local.buffer), name, entry.compressed);
    const header = new DataView(new ArrayBuffer(46));
    header.setUint32(0, 0x02014b50, true);
    header.setUint16(4, 20, true);
    header.setUint16(6, 20, true);
    header.setUint16(8, 0x0800, true);
    header.setUint16(10, entry.method, true);
    header.setUint32(16, entry.crc >>> 0, true);
    header.setUint32(20, entry.compressed.length, true);
    header.setUint32(24, entry.size >>> 0, true);
    header.setUint16(28, name.length, true);
    header.setUint32(42, offset, true);
    central.push(new Uint8Array(header.buffer), name);
    offset += 30 + name.length + entry.compressed.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return concat([...parts, ...central, new Uint8Array(end.buffer)]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

function docxParts(body: string, extraTypes = '', documentRels = ''): ZipEntry[] {
  return [
    deflatedEntry(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        extraTypes +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '</Types>',
    ),
    deflatedEntry(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        `<Relationship Id="rId1" Type="${R}/officeDocument" Target="word/document.xml"/></Relationships>`,
    ),
    ...(documentRels
      ? [
          deflatedEntry(
            'word/_rels/document.xml.rels',
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
              `${documentRels}</Relationships>`,
          ),
        ]
      : []),
    deflatedEntry(
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${W}" xmlns:r="${R}"><w:body>${body}</w:body></w:document>`,
    ),
  ];
}

function paragraph(text: string): string {
  return `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
}

/**
 * A DOCX whose document.xml holds about `xmlBytes` of empty paragraphs (`<w:p/>`, 6 bytes each) after a
 * few real ones: the issue's bomb is 30 MiB of them, 47 KB on disk.
 */
export function emptyParagraphsDocx(xmlBytes = 30 * 1024 * 1024): Uint8Array {
  const head =
    paragraph('What is claimed is:') + paragraph('1. A method of reading a document, comprising reading it.');
  return writeZip(docxParts(head + '<w:p/>'.repeat(Math.ceil(xmlBytes / 6))));
}

/** A DOCX of one paragraph holding `runs` empty runs (`<w:r/>`): few paragraphs, millions of elements. */
export function emptyRunsDocx(runs: number): Uint8Array {
  return writeZip(
    docxParts(`<w:p>${'<w:r/>'.repeat(runs)}</w:p>${paragraph('1. A method comprising reading.')}`),
  );
}

/** How many `<w:p/>` `emptyParagraphsDocx(xmlBytes)` writes. */
export function emptyParagraphCount(xmlBytes: number): number {
  return Math.ceil(xmlBytes / 6);
}

/**
 * A real DOCX (claims and a description paragraph) with one inline PNG image that inflates to
 * `imageBytes` (1 GiB by default; ~1 MB on disk). Word would show a broken image; the text is fine.
 */
export function hugeImageDocx(imageBytes = 1024 * 1024 * 1024): Uint8Array {
  const drawing =
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">' +
    '<wp:extent cx="100" cy="100"/><wp:docPr id="1" name="Picture 1"/>' +
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">' +
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr>' +
    `<pic:blipFill><a:blip r:embed="rId5"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`;
  const body =
    paragraph('[0001] A sensor patch records the heart signal of a patient through two electrodes.') +
    drawing +
    paragraph('What is claimed is:') +
    paragraph('1. A sensor patch comprising two electrodes and a recorder.') +
    paragraph('2. The sensor patch of claim 1, wherein the recorder stores the heart signal.');
  const parts = docxParts(
    body,
    '<Default Extension="png" ContentType="image/png"/>',
    `<Relationship Id="rId5" Type="${R}/image" Target="media/image1.png"/>`,
  );
  return writeZip([...parts, zerosEntry('word/media/image1.png', imageBytes)]);
}

/**
 * A PDF whose page tree fans out: the root and each level's node list `fanout` references to the one node
 * below, the last level `fanout` references to one page, so the tree declares fanout^levels pages (10⁹ by
 * default) in a few KB. The page is real (one line of text).
 */
export function fanOutPdf(options: { levels?: number; fanout?: number; content?: string } = {}): Uint8Array {
  const levels = options.levels ?? 9;
  const fanout = options.fanout ?? 10;
  // Objects: 1 catalog, 2..levels+1 page-tree nodes (2 is the root), levels+2 the page, then its content
  // and its font.
  const objects: string[] = [];
  const pageId = levels + 2;
  const contentId = levels + 3;
  const fontId = levels + 4;
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  for (let level = 0; level < levels; level++) {
    const id = 2 + level;
    const child = level === levels - 1 ? pageId : id + 1;
    const count = fanout ** (levels - level);
    const parent = level === 0 ? '' : ` /Parent ${id - 1} 0 R`;
    objects[id] =
      `<< /Type /Pages${parent} /Count ${count} /Kids [${Array(fanout).fill(`${child} 0 R`).join(' ')}] >>`;
  }
  objects[pageId] =
    `<< /Type /Page /Parent ${levels + 1} 0 R /MediaBox [0 0 612 792] /Contents ${contentId} 0 R ` +
    `/Resources << /Font << /F1 ${fontId} 0 R >> >> >>`;
  const text =
    options.content ?? 'BT /F1 12 Tf 72 720 Td ([0001] One page, referenced a billion times.) Tj ET';
  objects[contentId] = `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
  objects[fontId] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = pdf.length;
    pdf += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) pdf += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return encoder.encode(pdf);
}

/**
 * A one-page PDF whose content stream is FlateDecode data that inflates to `inflatedBytes` of spaces
 * (1 GiB by default, ~1 MB on disk) before its one line of text.
 */
export function inflatingStreamPdf(inflatedBytes = 1024 * 1024 * 1024): Uint8Array {
  const MiB = 1024 * 1024;
  const chunk = new Uint8Array(MiB).fill(0x20);
  const block = deflateRawSync(chunk, { level: 9, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const text = encoder.encode('BT /F1 12 Tf 72 720 Td ([0001] The text after the spaces.) Tj ET');
  const tail = deflateRawSync(text, { level: 9 });
  const count = Math.ceil(inflatedBytes / MiB);
  // A zlib stream: header, the raw deflate blocks, then an Adler-32 that pdfjs does not check.
  const body = new Uint8Array(2 + block.length * count + tail.length + 4);
  body.set([0x78, 0xda], 0);
  for (let i = 0; i < count; i++) body.set(block, 2 + i * block.length);
  body.set(tail, 2 + block.length * count);
  const objects = [
    '',
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [3 0 R] >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts: Uint8Array[] = [];
  let length = 0;
  const offsets: number[] = [];
  const push = (bytes: Uint8Array | string) => {
    const b = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
    parts.push(b);
    length += b.length;
  };
  push('%PDF-1.4\n');
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = length;
    if (id === 4) {
      push(`4 0 obj\n<< /Length ${body.length} /Filter /FlateDecode >>\nstream\n`);
      push(body);
      push('\nendstream\nendobj\n');
    } else push(`${id} 0 obj\n${objects[id]}\nendobj\n`);
  }
  const xref = length;
  let table = `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) table += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  push(`${table}trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return concat(parts);
}

/**
 * A one-page PDF whose page shows `pieces` separate pieces of text: 50 lines on the page, written over
 * and over (pdfjs drops text placed off the page).
 */
export function manyTextPiecesPdf(pieces: number): Uint8Array {
  const shows: string[] = [];
  for (let i = 0; i < pieces; i++) shows.push(`1 0 0 1 72 ${720 - (i % 50) * 14} Tm (claim 1 or) Tj`);
  return fanOutPdf({ levels: 1, fanout: 1, content: `BT /F1 12 Tf ${shows.join(' ')} ET` });
}

/** The pages `fanOutPdf(options)` declares. */
export function fanOutPageCount(options: { levels?: number; fanout?: number } = {}): number {
  return (options.fanout ?? 10) ** (options.levels ?? 9);
}

/**
 * A USPTO grant (v4.5 markup) with one claim whose description is about `bytes` of empty `<p/>` (the
 * issue's bomb: 19 MB).
 */
export function emptyParagraphsXml(bytes = 19 * 1024 * 1024): Uint8Array {
  const head =
    '<?xml version="1.0" encoding="UTF-8"?>\n<us-patent-grant lang="EN" dtd-version="v4.5 2014-04-03">' +
    '<us-bibliographic-data-grant><publication-reference><document-id><country>US</country>' +
    '<doc-number>09999999</doc-number><kind>B2</kind></document-id></publication-reference>' +
    '<invention-title>Bomb</invention-title></us-bibliographic-data-grant><description>' +
    '<p id="p-0001" num="0001">A description paragraph before the bomb.</p>';
  const tail =
    '</description><claims><claim id="CLM-00001" num="00001"><claim-text>1. A method comprising reading.' +
    '</claim-text></claim></claims></us-patent-grant>\n';
  return encoder.encode(head + '<p/>'.repeat(Math.ceil(bytes / 4)) + tail);
}

/** The `…alive…` request of the worker double (bombs-worker.ts): a progress message this often, … */
export const ALIVE_INTERVAL_MS = 600;
/** … this many times, then the answer. */
export const ALIVE_MESSAGES = 4;
