/**
 * Fuzzing with a fixed seed: the shared USPTO/EPO files and the draft fixtures, mutated (truncated, bytes
 * flipped, junk and unbalanced tags, entity bombs, deep nesting, huge lines, random binary, wrong
 * extensions). Every input must either parse or throw a DocumentError, within a time bound per input —
 * the bound is a hang guard, not a speed claim. The number of inputs tried is printed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DocumentError, parseDocument } from '../../../src/core/documents/index';

const SEED = 20261129;
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 3);
/**
 * Generous: pdfjs recovers a PDF with megabytes of junk in a content stream by reading it as operators, at
 * ~0.2 MB/s (measured 9 s for 1.6 MB of junk on a loaded 2-core machine) — slow, linear, not a hang.
 */
const HANG_GUARD_MS = 30_000;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DATA = join(__dirname, '../../../../shared/data');
const FIXTURES = join(__dirname, '../../fixtures/documents');
const sources = [
  ...['uspto', 'ep'].flatMap((dir) => readdirSync(join(DATA, dir)).map((f) => join(DATA, dir, f))),
  ...readdirSync(FIXTURES)
    .filter((f) => f.startsWith('US'))
    .map((f) => join(FIXTURES, f)),
].map((path) => ({ name: path.split('/').pop()!, bytes: new Uint8Array(readFileSync(path)) }));

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
];

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

type Mutation = (
  bytes: Uint8Array,
  next: () => number,
) => { bytes: Uint8Array; extension?: string; label: string };

const mutations: Mutation[] = [
  (b, r) => ({ bytes: b.subarray(0, Math.floor(r() * b.length)), label: 'truncated' }),
  (b, r) => {
    const out = new Uint8Array(b);
    const flips = 1 + Math.floor(r() * 20);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return { bytes: out, label: `${flips} bytes flipped` };
  },
  (b, r) => {
    let out = b;
    for (let i = 0; i < 5; i++) {
      const junk = encoder.encode(JUNK[Math.floor(r() * JUNK.length)]!);
      out = splice(out, Math.floor(r() * out.length), 0, junk);
    }
    return { bytes: out, label: 'junk inserted' };
  },
  (b, r) => {
    // Unbalanced: cut out a stretch that likely holds a closing tag.
    const at = Math.floor(r() * b.length);
    return { bytes: splice(b, at, Math.min(200, b.length - at), new Uint8Array()), label: 'stretch removed' };
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
  (b, r) => {
    const depth = 1000 + Math.floor(r() * 20000);
    const nest = encoder.encode('<b>'.repeat(depth));
    return { bytes: splice(b, Math.floor(r() * b.length), 0, nest), label: `nested ${depth} deep` };
  },
  (b, r) => {
    const line = encoder.encode('claim 1 or '.repeat(100_000 + Math.floor(r() * 100_000)));
    return { bytes: splice(b, Math.floor(r() * b.length), 0, line), label: 'huge line' };
  },
  (_b, r) => ({
    bytes: Uint8Array.from({ length: 1 + Math.floor(r() * 100_000) }, () => Math.floor(r() * 256)),
    label: 'random binary',
  }),
  (b, r) => {
    const extensions = ['.txt', '.md', '.xml', '.docx', '.pdf', ''];
    return {
      bytes: b,
      extension: extensions[Math.floor(r() * extensions.length)]!,
      label: 'other extension',
    };
  },
  (b, r) => {
    const from = Math.floor(r() * b.length);
    const piece = b.subarray(from, Math.min(b.length, from + Math.floor(r() * 5000)));
    let out = b;
    for (let i = 0; i < 5; i++) out = splice(out, Math.floor(r() * out.length), 0, piece);
    return { bytes: out, label: 'stretches duplicated' };
  },
];

it(
  `fuzz: every mutated document parses or throws DocumentError (seed ${SEED})`,
  { timeout: 600_000 },
  async () => {
    const next = random(SEED);
    let tried = 0;
    let parsed = 0;
    let rejected = 0;
    let slowest = { ms: 0, label: '' };
    const timeByKind = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const source of sources) {
        for (const mutate of mutations) {
          const { bytes, extension, label } = mutate(source.bytes, next);
          const base = source.name.replace(/\.[^.]+$/, '');
          const name = `${base}${extension ?? source.name.slice(base.length)}`;
          const what = `${source.name} → ${name}, ${label} (round ${round})`;
          const started = performance.now();
          try {
            const document = await parseDocument(bytes, name);
            assert.ok(Array.isArray(document.claims) && Array.isArray(document.paragraphs));
            parsed++;
          } catch (error) {
            // 'unreadable' wraps a failure nobody foresaw: for the user a clean error, here a bug.
            if (!(error instanceof DocumentError) || error.problem === 'unreadable') {
              const cause = error instanceof DocumentError ? error.cause : error;
              assert.fail(`${what}: threw ${(cause as Error)?.stack ?? String(cause)}`);
            }
            rejected++;
          }
          const ms = performance.now() - started;
          if (ms > slowest.ms) slowest = { ms, label: what };
          const kind = label.replace(/^\d+ |\d+ deep/g, '');
          timeByKind.set(kind, (timeByKind.get(kind) ?? 0) + ms);
          assert.ok(ms < HANG_GUARD_MS, `${what} took ${ms.toFixed(0)} ms`);
          tried++;
        }
      }
    }
    console.log(
      `fuzz: ${tried} inputs (seed ${SEED}, ${ROUNDS} rounds × ${sources.length} sources × ${mutations.length} mutations): ` +
        `${parsed} parsed, ${rejected} DocumentError; slowest ${slowest.ms.toFixed(0)} ms (${slowest.label})`,
    );
    if (process.env.FUZZ_PROFILE)
      console.log([...timeByKind].map(([k, ms]) => `${k}: ${ms.toFixed(0)} ms`).join('\n'));
  },
);
