/**
 * What the fuzz campaign (`npm run fuzz`, scripts/fuzz/campaign.ts) and its fast sample in the default
 * test run (test/unit/documents/fuzz.test.ts) feed the document parser: seed documents of every format,
 * generated bombs at small sizes, and mutations of both (bytes, text, ZIP structure, PDF objects). All
 * randomness comes from one seeded generator, so any input can be made again from its seed and number.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import {
  deflatedEntry,
  emptyParagraphsDocx,
  emptyParagraphsXml,
  fanOutPdf,
  hugeImageDocx,
  inflatingStreamPdf,
  writeZip,
  type ZipEntry,
} from '../../test/support/bombs';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Next = () => number;
const pick = <T>(items: readonly T[], next: Next): T => items[Math.floor(next() * items.length)] as T;
const int = (below: number, next: Next): number => Math.floor(next() * below);

/** The formats a campaign can be limited to (`--formats`). */
export const FORMATS = [
  'uspto-xml',
  'epo-xml',
  'us-2001',
  'greenbook',
  'text',
  'markdown',
  'docx',
  'pdf',
] as const;
export type FuzzFormat = (typeof FORMATS)[number];

export interface Seed {
  name: string;
  format: FuzzFormat;
  bytes: Uint8Array;
}

const REPO = resolve(__dirname, '../..');
const DATA = resolve(REPO, '../shared/data');
const FIXTURES = join(REPO, 'test/fixtures/documents');

function filesIn(dir: string, test: (name: string) => boolean): string[] {
  try {
    return readdirSync(dir)
      .filter(test)
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return []; // a seed folder that is not there (a checkout without ../shared/data) adds nothing
  }
}

/**
 * Real documents of every format: the shared USPTO, EPO, 2001–2004 US and Green Book files (whatever
 * parser reads them; one that does not yet just answers with a DocumentError) and the draft fixtures.
 */
export function loadSeeds(formats: readonly FuzzFormat[] = FORMATS): Seed[] {
  const sources: [FuzzFormat, string[]][] = [
    ['uspto-xml', filesIn(join(DATA, 'uspto'), (f) => f.endsWith('.xml'))],
    ['epo-xml', filesIn(join(DATA, 'ep'), (f) => f.endsWith('.xml'))],
    ['us-2001', filesIn(join(DATA, 'uspto-2001'), (f) => f.endsWith('.xml'))],
    ['greenbook', filesIn(join(DATA, 'uspto-greenbook'), () => true)],
    ['text', filesIn(FIXTURES, (f) => f.endsWith('.txt'))],
    ['markdown', filesIn(FIXTURES, (f) => f.endsWith('.md') && f !== 'README.md')],
    ['docx', filesIn(FIXTURES, (f) => f.endsWith('.docx'))],
    ['pdf', filesIn(FIXTURES, (f) => f.endsWith('.pdf'))],
  ];
  return sources
    .filter(([format]) => formats.includes(format))
    .flatMap(([format, paths]) =>
      paths.map((path) => ({
        name: path.split('/').pop() as string,
        format,
        bytes: new Uint8Array(readFileSync(path)),
      })),
    );
}

/** The bombs of test/support/bombs.ts at sizes a campaign can afford, as seeds of their format. */
export function generatedSeed(format: FuzzFormat, next: Next): Seed | undefined {
  switch (format) {
    case 'pdf': {
      if (next() < 0.3)
        return {
          name: 'inflating-stream.pdf',
          format,
          bytes: inflatingStreamPdf((1 + int(128, next)) * 1024 * 1024),
        };
      const levels = 1 + int(9, next);
      const fanout = 2 + int(9, next);
      return { name: `fan-out-${fanout}^${levels}.pdf`, format, bytes: fanOutPdf({ levels, fanout }) };
    }
    case 'docx':
      return next() < 0.5
        ? { name: 'empty-paragraphs.docx', format, bytes: emptyParagraphsDocx((1 + int(256, next)) * 1024) }
        : { name: 'huge-image.docx', format, bytes: hugeImageDocx((1 + int(64, next)) * 1024 * 1024) };
    case 'uspto-xml':
      return { name: 'empty-paragraphs.xml', format, bytes: emptyParagraphsXml((1 + int(512, next)) * 1024) };
    default:
      return undefined;
  }
}

const encoder = new TextEncoder();
const JUNK = [
  '<junk>',
  '</p>',
  '</claim>',
  '<claim num="x">',
  '<claim-ref idref="CLM-99999">claim 99999</claim-ref>',
  '<![CDATA[',
  '<!--',
  '&undefined;',
  '&#xFFFFFF;',
  '<p num="0001">',
  '\u0000',
  '1. The method of claim 1, wherein',
  '[0001] ',
  'What is claimed is:\n\n',
  '(10, 12a; U)',
  'claims 1 to 999999999',
  'PATN\nWKU  039327098\n',
  'PAR  ',
];

export function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  at = Math.min(at, bytes.length);
  remove = Math.min(remove, bytes.length - at);
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

export interface Mutated {
  bytes: Uint8Array;
  /** The file name's extension, when the mutation changes it. */
  extension?: string;
  label: string;
}

/** A mutation of any document's bytes; `other` is another seed, for splices. */
export type Mutation = (bytes: Uint8Array, next: Next, other: Uint8Array) => Mutated;

/** Mutations that care about no format. */
export const byteMutations: Mutation[] = [
  (b, r) => ({ bytes: b.subarray(0, int(b.length, r)), label: 'truncated' }),
  (b, r) => {
    const out = new Uint8Array(b);
    const flips = 1 + int(20, r);
    for (let i = 0; i < flips; i++) out[int(out.length, r)] = int(256, r);
    return { bytes: out, label: 'bytes flipped' };
  },
  (b, r) => {
    let out = b;
    for (let i = 0; i < 5; i++) out = splice(out, int(out.length, r), 0, encoder.encode(pick(JUNK, r)));
    return { bytes: out, label: 'junk inserted' };
  },
  (b, r) => {
    const at = int(b.length, r);
    return { bytes: splice(b, at, Math.min(200, b.length - at), new Uint8Array()), label: 'stretch removed' };
  },
  (b, r, other) => {
    const from = int(other.length, r);
    const piece = other.subarray(from, Math.min(other.length, from + int(20_000, r)));
    return { bytes: splice(b, int(b.length, r), int(2000, r), piece), label: 'spliced from another seed' };
  },
  (b, r) => {
    const from = int(b.length, r);
    const piece = b.subarray(from, Math.min(b.length, from + int(5000, r)));
    let out = b;
    for (let i = 0; i < 5; i++) out = splice(out, int(out.length, r), 0, piece);
    return { bytes: out, label: 'stretches duplicated' };
  },
  (b, r) => {
    const depth = 1000 + int(20_000, r);
    const tag = pick(['<b>', '<p>', '<claim-text>', '<ol><li>', '[', '((', '<<'], r);
    return {
      bytes: splice(b, int(b.length, r), 0, encoder.encode(tag.repeat(depth))),
      label: 'deep nesting',
    };
  },
  (b, r) => {
    const value = 'x'.repeat(100_000 + int(1_000_000, r));
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf('<', int(text.length, r));
    const space = at < 0 ? -1 : text.indexOf(' ', at);
    if (space < 0)
      return { bytes: splice(b, 0, 0, encoder.encode(`<a z="${value}">`)), label: 'huge attribute' };
    return { bytes: splice(b, space, 0, encoder.encode(` huge="${value}"`)), label: 'huge attribute' };
  },
  (b, r) => {
    const line = encoder.encode('claim 1 or '.repeat(10_000 + int(100_000, r)));
    return { bytes: splice(b, int(b.length, r), 0, line), label: 'huge line' };
  },
  (b) => {
    let entities = '<!ENTITY a "aaaaaaaaaa">';
    for (let i = 1; i < 12; i++) entities += `<!ENTITY a${i} "${`&a${i - 1 || ''};`.repeat(10)}">`;
    const text = new TextDecoder().decode(b);
    const bombed = text.includes('<!DOCTYPE')
      ? text
          .replace(/<!DOCTYPE ([\w-]+)[^>[]*(?:\[[^\]]*\])?>/, `<!DOCTYPE $1 [ ${entities} ]>`)
          .replace('</p>', '&a11;</p>')
      : `&a11; ${text}`;
    return { bytes: encoder.encode(bombed), label: 'entity bomb' };
  },
  (_b, r) => ({
    bytes: Uint8Array.from({ length: 1 + int(100_000, r) }, () => int(256, r)),
    label: 'random binary',
  }),
  (b, r) => ({
    bytes: b,
    extension: pick(['.txt', '.md', '.xml', '.docx', '.pdf', ''], r),
    label: 'other extension',
  }),
];

/** The entries of a ZIP we wrote or any ZIP with a plain central directory; undefined if unreadable. */
function zipEntries(bytes: Uint8Array): ZipEntry[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65_557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const entries: ZipEntry[] = [];
  let at = view.getUint32(end + 16, true);
  const count = view.getUint16(end + 10, true);
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) return undefined;
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (local + 30 > bytes.length) return undefined;
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    entries.push({
      name,
      compressed: bytes.slice(dataStart, dataStart + compressedSize),
      method: method === 8 ? 8 : 0,
      crc,
      size,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryText(entry: ZipEntry): string | undefined {
  try {
    const raw = entry.method === 8 ? inflateRawSync(entry.compressed) : entry.compressed;
    return new TextDecoder().decode(raw);
  } catch {
    return undefined;
  }
}

/** Mutations of a DOCX's ZIP structure (entries, headers, the XML inside). */
export const zipMutations: Mutation[] = [
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    entries.splice(int(entries.length, r), 1);
    return { bytes: writeZip(entries), label: 'zip: entry dropped' };
  },
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    const entry = pick(entries, r);
    entries.push({ ...entry });
    return { bytes: writeZip(entries), label: 'zip: entry duplicated' };
  },
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    const entry = pick(entries, r);
    const lie = pick([0, 1, entry.size * 2, 0xffffffff, int(2 ** 31, r)], r);
    entry.size = lie;
    return { bytes: writeZip(entries), label: 'zip: size lies' };
  },
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    const entry = pick(entries, r);
    const out = new Uint8Array(entry.compressed);
    for (let i = 0; i < 1 + int(8, r); i++) if (out.length) out[int(out.length, r)] = int(256, r);
    entry.compressed = out;
    return { bytes: writeZip(entries), label: 'zip: compressed data flipped' };
  },
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    const entry = pick(entries, r);
    entry.method = entry.method === 8 ? 0 : 8;
    return { bytes: writeZip(entries), label: 'zip: method swapped' };
  },
  (b, r) => {
    const entries = zipEntries(b);
    if (!entries) return byteMutations[1]!(b, r, b);
    const entry = pick(entries, r);
    entry.name = pick(
      ['../../evil.xml', '/abs/document.xml', 'word/document.xml', 'WORD/DOCUMENT.XML', ''],
      r,
    );
    return { bytes: writeZip(entries), label: 'zip: entry renamed' };
  },
  (b, r) => {
    // The XML inside mutated, then packed again: reaches mammoth's XML reading, not only the ZIP's.
    const entries = zipEntries(b);
    const document = entries?.find((e) => e.name === 'word/document.xml');
    const text = document && entryText(document);
    if (!entries || !document || text === undefined) return byteMutations[2]!(b, r, b);
    const mutation = pick(byteMutations.slice(0, 10), r);
    const mutated = mutation(encoder.encode(text), r, encoder.encode(text));
    entries[entries.indexOf(document)] = deflatedEntry('word/document.xml', mutated.bytes);
    return { bytes: writeZip(entries), label: `zip: document.xml ${mutated.label}` };
  },
];

/** Mutations of a PDF's objects: numbers, counts, lengths, references, the xref table. */
export const pdfMutations: Mutation[] = [
  (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const key = pick(['/Count', '/Length', '/Size', '/N', '/First', '/Kids', '/Parent', '/W'], r);
    const huge = pick(['1000000000', '-1', '0', '99999999999999999999', '2147483648', '3.5', '[1 0 R]'], r);
    const re = new RegExp(`${key.replace('/', '\\/')}\\s+[^/>\\]]+`, 'g');
    let seen = 0;
    const target = int(8, r);
    const out = text.replace(re, (m) => (seen++ === target || r() < 0.3 ? `${key} ${huge}` : m));
    return { bytes: latin1(out), label: `pdf: ${key} → ${huge}` };
  },
  (b, r) => {
    // A reference pointed at another object (cycles in the page tree, a page as its own parent …).
    const text = new TextDecoder('latin1').decode(b);
    const out = text.replace(/(\d+) 0 R/g, (m) => (r() < 0.15 ? `${1 + int(20, r)} 0 R` : m));
    return { bytes: latin1(out), label: 'pdf: references redirected' };
  },
  (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const objects = [...text.matchAll(/\d+ 0 obj[\s\S]*?endobj/g)].map((m) => m[0]);
    if (objects.length === 0) return byteMutations[0]!(b, r, b);
    const copy = pick(objects, r).repeat(1 + int(200, r));
    const at = text.indexOf('xref');
    return {
      bytes: latin1(text.slice(0, Math.max(0, at)) + copy + text.slice(Math.max(0, at))),
      label: 'pdf: object duplicated',
    };
  },
  (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const at = text.lastIndexOf('startxref');
    if (at < 0) return byteMutations[0]!(b, r, b);
    return {
      bytes: latin1(`${text.slice(0, at)}startxref\n${int(b.length * 2, r)}\n%%EOF\n`),
      label: 'pdf: xref offset wrong',
    };
  },
  (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const stream = `BT /F1 12 Tf ${'(x) Tj 0 -1 Td '.repeat(1000 + int(50_000, r))} ET`;
    const out = text.replace(/stream\r?\n/, `stream\n${stream}\n`);
    return { bytes: latin1(out), label: 'pdf: content stream of many operators' };
  },
  (b, r) => {
    const text = new TextDecoder('latin1').decode(b);
    const out = text.replace(/\/Filter\s*\/\w+/g, () =>
      pick(
        [
          '/Filter /FlateDecode',
          '/Filter /LZWDecode',
          '/Filter /DCTDecode',
          '/Filter [/FlateDecode /ASCIIHexDecode]',
          '',
        ],
        r,
      ),
    );
    return { bytes: latin1(out), label: 'pdf: filters swapped' };
  },
];

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** The mutations that fit a format: every byte mutation, plus the structural ones of DOCX and PDF. */
export function mutationsFor(format: FuzzFormat): Mutation[] {
  if (format === 'docx') return [...byteMutations, ...zipMutations, ...zipMutations];
  if (format === 'pdf') return [...byteMutations, ...pdfMutations, ...pdfMutations];
  return byteMutations;
}

/** One fuzz input: a seed (real or generated), maybe mutated, under a file name. */
export interface FuzzInput {
  name: string;
  format: FuzzFormat;
  bytes: Uint8Array;
  label: string;
}

/**
 * The next input of a campaign: a format, a seed of it (a generated bomb one time in ten), mutated nine
 * times in ten, sometimes twice. Deterministic in (`next`'s state, `seeds`).
 */
export function makeInput(seeds: readonly Seed[], next: Next): FuzzInput {
  // Each format as often as any other, however many seed files it has.
  const format = pick([...new Set(seeds.map((s) => s.format))], next);
  const base = pick(
    seeds.filter((s) => s.format === format),
    next,
  );
  let seed: Seed = base;
  let label = base.name;
  if (next() < 0.1) {
    const generated = generatedSeed(base.format, next);
    if (generated) {
      seed = generated;
      label = `${generated.name} (generated)`;
    }
  }
  let bytes = seed.bytes;
  let extension: string | undefined;
  const rounds = next() < 0.1 ? 0 : next() < 0.8 ? 1 : 2;
  const mutations = mutationsFor(seed.format);
  for (let i = 0; i < rounds; i++) {
    const other = pick(seeds, next).bytes;
    const mutated = pick(mutations, next)(bytes, next, other);
    bytes = mutated.bytes;
    extension = mutated.extension ?? extension;
    label += `, ${mutated.label}`;
  }
  const stem = seed.name.replace(/\.[^.]+$/, '');
  const name = extension === undefined ? seed.name : `${stem}${extension}`;
  return { name, format: seed.format, bytes, label: rounds === 0 ? `${label}, unchanged` : label };
}
