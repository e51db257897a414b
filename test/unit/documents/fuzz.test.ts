/**
 * The fast sample of the fuzz campaign (`npm run fuzz`, scripts/fuzz/), with a fixed seed: every seed
 * document of every format (shared USPTO/EPO/2001–2004/Green Book files, the draft fixtures) through every
 * mutation that fits its format (bytes, text, ZIP structure, PDF objects), and the bombs of
 * test/support/bombs.ts at tiny sizes. Every input must either parse or throw a DocumentError, within a
 * time bound per input — the bound is a hang guard, not a speed claim. The number of inputs is printed.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DocumentError, parseDocument } from '../../../src/core/documents/index';
import { loadSeeds, mutationsFor, random, type FuzzInput } from '../../../scripts/fuzz/mutations';
import {
  emptyParagraphsDocx,
  emptyParagraphsXml,
  fanOutPdf,
  hugeImageDocx,
  inflatingStreamPdf,
} from '../../support/bombs';

const SEED = 20261129;
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 1);
/**
 * Generous: pdfjs recovers a PDF with megabytes of junk in a content stream by reading it as operators, at
 * ~0.2 MB/s (measured 9 s for 1.6 MB of junk on a loaded 2-core machine) — slow, linear, not a hang.
 */
const HANG_GUARD_MS = 30_000;

function* inputs(): Generator<FuzzInput> {
  const next = random(SEED);
  const seeds = loadSeeds();
  for (let round = 0; round < ROUNDS; round++) {
    for (const seed of seeds) {
      for (const mutate of mutationsFor(seed.format)) {
        const other = seeds[Math.floor(next() * seeds.length)]!.bytes;
        const { bytes, extension, label } = mutate(seed.bytes, next, other);
        const stem = seed.name.replace(/\.[^.]+$/, '');
        const name = extension === undefined ? seed.name : `${stem}${extension}`;
        yield { name, format: seed.format, bytes, label: `${seed.name}, ${label} (round ${round})` };
      }
    }
  }
  // The bombs, tiny: the same generators as the full-size tests (bombs.test.ts) and the campaign.
  yield {
    name: 'fan-out.pdf',
    format: 'pdf',
    bytes: fanOutPdf({ levels: 4, fanout: 3 }),
    label: 'fan-out 3^4',
  };
  yield {
    name: 'inflating-stream.pdf',
    format: 'pdf',
    bytes: inflatingStreamPdf(2 * 1024 * 1024),
    label: 'stream inflating to 2 MiB',
  };
  yield { name: 'fan-out-big.pdf', format: 'pdf', bytes: fanOutPdf(), label: 'fan-out 10^9' };
  yield {
    name: 'empty-paragraphs.docx',
    format: 'docx',
    bytes: emptyParagraphsDocx(64 * 1024),
    label: 'empty paragraphs 64 KiB',
  };
  yield {
    name: 'huge-image.docx',
    format: 'docx',
    bytes: hugeImageDocx(8 * 1024 * 1024),
    label: 'image 8 MiB',
  };
  yield {
    name: 'empty-paragraphs.xml',
    format: 'uspto-xml',
    bytes: emptyParagraphsXml(256 * 1024),
    label: '<p/> 256 KiB',
  };
}

it(
  `fuzz: every mutated document and bomb parses or throws DocumentError (seed ${SEED})`,
  { timeout: 600_000 },
  async () => {
    let tried = 0;
    let parsed = 0;
    let rejected = 0;
    let slowest = { ms: 0, label: '' };
    const timeByKind = new Map<string, number>();
    for (const input of inputs()) {
      const what = `${input.name}: ${input.label}`;
      const started = performance.now();
      try {
        const document = await parseDocument(input.bytes, input.name);
        assert.ok(Array.isArray(document.claims) && Array.isArray(document.paragraphs));
        parsed++;
      } catch (error) {
        // 'unreadable' wraps a failure nobody foresaw: for the user a clean error, here a bug. 'timeout'
        // is the deadline: a hang.
        if (
          !(error instanceof DocumentError) ||
          error.problem === 'unreadable' ||
          error.problem === 'timeout'
        ) {
          const cause = error instanceof DocumentError ? (error.cause ?? error) : error;
          assert.fail(`${what}: threw ${(cause as Error)?.stack ?? String(cause)}`);
        }
        rejected++;
      }
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { ms, label: what };
      const kind = input.label.replace(/^.*?, | \(round \d+\)$/g, '');
      timeByKind.set(kind, (timeByKind.get(kind) ?? 0) + ms);
      assert.ok(ms < HANG_GUARD_MS, `${what} took ${ms.toFixed(0)} ms`);
      tried++;
    }
    console.log(
      `fuzz: ${tried} inputs (seed ${SEED}, ${ROUNDS} round(s)): ${parsed} parsed, ${rejected} DocumentError; ` +
        `slowest ${slowest.ms.toFixed(0)} ms (${slowest.label})`,
    );
    if (process.env.FUZZ_PROFILE)
      console.log([...timeByKind].map(([k, ms]) => `${k}: ${ms.toFixed(0)} ms`).join('\n'));
  },
);
