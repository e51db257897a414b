/**
 * Parsing speed per format, in MB/s of input, over the shared patent documents (../shared/data), beside a
 * baseline measured in the same run on the same bytes, so the cost of building the document model shows:
 *   XML         baseline: saxes tokenizing the text with no handlers (the floor for any SAX-based parser)
 *   text / md   baseline: UTF-8 decoding and splitting into lines
 *   DOCX        baseline: mammoth.extractRawText (unzip + document XML, no structure)
 *   PDF         baseline: pdfjs getTextContent on every page (no line or paragraph building)
 * Text, Markdown, DOCX and PDF inputs are the shared XML documents rendered as drafts (all paragraphs and
 * claims) with scripts/fixtures/render-drafts.ts. Medians of repeated runs. `parseDocument` runs in the
 * document worker (document-thread.ts), so its figures include the round trip to it.
 *
 * Then the longest event-loop block on the calling thread (perf_hooks.monitorEventLoopDelay) while the 8
 * shared XML documents are parsed BLOCK_ROUNDS times (BENCH_BLOCK_ROUNDS, default 5; BENCH_BLOCKS_ONLY=1 for
 * only these figures), one after another and 8 at a time: in this thread
 * (`parseDocumentHere`, what the extension host did before the document worker) and through
 * `parseDocument` (the worker). Run: npm run bench:parse
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mammoth from 'mammoth';
import { SaxesParser } from 'saxes';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { documentThreadStats, parseDocument } from '../../src/core/documents/index';
import { parseDocumentHere } from '../../src/core/documents/parse';
import { renderDocx, renderMarkdown, renderPdf, renderText } from '../fixtures/render-drafts';

const DATA = join(__dirname, '../../../shared/data');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const BLOCK_ROUNDS = Number(process.env.BENCH_BLOCK_ROUNDS ?? 5);

interface Input {
  name: string;
  bytes: Uint8Array;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Median seconds for one pass over all inputs, after one warm-up pass: wall-clock and this process's CPU
 * time (user + system) of all its threads (the document worker's too). On a busy machine the CPU time is
 * the steadier figure.
 */
async function time(
  inputs: Input[],
  pass: (input: Input) => unknown,
): Promise<{ wall: number; cpu: number }> {
  for (const input of inputs) await pass(input);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const input of inputs) await pass(input);
    const used = process.cpuUsage(cpu);
    walls.push((performance.now() - started) / 1000);
    cpus.push((used.user + used.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

async function main(): Promise<void> {
  const xml = {
    'uspto-xml': readdirSync(join(DATA, 'uspto')).map((f) => join(DATA, 'uspto', f)),
    'epo-xml': readdirSync(join(DATA, 'ep')).map((f) => join(DATA, 'ep', f)),
  };
  const load = (path: string): Input => ({ name: path, bytes: new Uint8Array(readFileSync(path)) });
  // BENCH_BLOCKS_ONLY=1: only the event-loop figures.
  if (process.env.BENCH_BLOCKS_ONLY)
    return eventLoopBlocks([...xml['uspto-xml'], ...xml['epo-xml']].map(load));
  const sources = await Promise.all(
    [...xml['uspto-xml'], ...xml['epo-xml']].map(async (path) => parseDocument(readFileSync(path), path)),
  );
  const encoder = new TextEncoder();
  const drafts = {
    text: sources.map((d) => ({ name: `${d.uri}.txt`, bytes: encoder.encode(renderText(d)) })),
    markdown: sources.map((d) => ({
      name: `${d.uri}.md`,
      bytes: encoder.encode(renderMarkdown(d, d.paragraphs.length, 'bench')),
    })),
    docx: await Promise.all(
      sources.map(async (d) => ({
        name: `${d.uri}.docx`,
        bytes: new Uint8Array(await renderDocx(d, d.paragraphs.length, 'bench')),
      })),
    ),
    pdf: await Promise.all(
      sources.map(async (d) => ({
        name: `${d.uri}.pdf`,
        bytes: await renderPdf(d, d.paragraphs.length, 'bench'),
      })),
    ),
  };

  const ours = (input: Input) => parseDocument(input.bytes, input.name);
  const saxesOnly = (input: Input) => {
    const parser = new SaxesParser({ position: true });
    parser.write(new TextDecoder().decode(input.bytes)).close();
  };
  const splitLines = (input: Input) => new TextDecoder().decode(input.bytes).split(/\r?\n/).length;
  const mammothRaw = (input: Input) =>
    mammoth.extractRawText({
      buffer: Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength),
    });
  // Loaded through our module once (it sets up pdfjs's in-thread worker), then called directly.
  await parseDocument(drafts.pdf[0]!.bytes, 'warm.pdf');
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pdfjsText = async (input: Input) => {
    const pdf = await pdfjs.getDocument({
      data: new Uint8Array(input.bytes),
      isEvalSupported: false,
      verbosity: 0,
    }).promise;
    for (let n = 1; n <= pdf.numPages; n++) await (await pdf.getPage(n)).getTextContent();
    await pdf.destroy();
  };

  const rows: [string, Input[], (i: Input) => unknown, string, (i: Input) => unknown][] = [
    ['uspto-xml', xml['uspto-xml'].map(load), ours, 'saxes tokenizer alone', saxesOnly],
    ['epo-xml', xml['epo-xml'].map(load), ours, 'saxes tokenizer alone', saxesOnly],
    ['text', drafts.text, ours, 'decode + split lines', splitLines],
    ['markdown', drafts.markdown, ours, 'decode + split lines', splitLines],
    ['docx', drafts.docx, ours, 'mammoth.extractRawText', mammothRaw],
    ['pdf', drafts.pdf, ours, 'pdfjs getTextContent', pdfjsText],
  ];
  console.log(`parse benchmark: median of ${REPEAT} passes after a warm-up, Node ${process.version}`);
  console.log(
    'MB/s of input, wall-clock (CPU time in brackets); ratio = baseline time / parseDocument time (CPU)',
  );
  console.log(
    'format     files      MB   parseDocument MB/s      baseline MB/s  baseline                 ours/baseline',
  );
  for (const [format, inputs, run, baselineName, baseline] of rows) {
    const megabytes = inputs.reduce((sum, i) => sum + i.bytes.length, 0) / 1e6;
    const ours = await time(inputs, run);
    const base = await time(inputs, baseline);
    const rate = (t: { wall: number; cpu: number }) =>
      `${(megabytes / t.wall).toFixed(1)} (${(megabytes / t.cpu).toFixed(1)})`;
    console.log(
      `${format.padEnd(10)} ${String(inputs.length).padStart(5)} ${megabytes.toFixed(2).padStart(7)} ` +
        `${rate(ours).padStart(20)} ${rate(base).padStart(18)}  ${baselineName.padEnd(24)} ` +
        `${(base.cpu / ours.cpu).toFixed(2).padStart(13)}`,
    );
  }
  await eventLoopBlocks(xml['uspto-xml'].concat(xml['epo-xml']).map(load));
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The longest stretch the calling thread's event loop was blocked while `pass` ran: the longest gap
 * between ticks of a 1 ms interval timer (and the 99th percentile of monitorEventLoopDelay), in ms.
 */
async function longestBlock(
  pass: () => Promise<unknown>,
): Promise<{ maxMs: number; p99Ms: number; wallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  histogram.enable();
  await pass();
  const wallMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5)); // the ticker sees the last stretch
  histogram.disable();
  clearInterval(ticker);
  return { maxMs: maxGap, p99Ms: histogram.percentile(99) / 1e6, wallMs };
}

async function eventLoopBlocks(inputs: Input[]): Promise<void> {
  // Each parse is followed by a turn of the event loop, as reading the next file gives the index one.
  const here = async (i: Input) => {
    await parseDocumentHere(i.bytes, i.name);
    await yieldToLoop();
  };
  const worker = async (i: Input) => {
    await parseDocument(i.bytes, i.name);
    await yieldToLoop();
  };
  // Warm-up of both paths (JIT, the worker's start).
  for (const input of inputs) await here(input);
  for (const input of inputs) await worker(input);
  const before = documentThreadStats();
  const megabytes = inputs.reduce((sum, i) => sum + i.bytes.length, 0) / 1e6;
  console.log(
    `\nlongest event-loop block on the calling thread, ${inputs.length} shared XML files (${megabytes.toFixed(2)} MB) ` +
      `× ${BLOCK_ROUNDS} rounds`,
  );
  console.log(
    'path                       order         max ms   p99 ms    wall ms   (max: longest gap of a 1 ms timer)',
  );
  for (const [name, parse] of [
    ['in this thread', here],
    ['document worker', worker],
  ] as const) {
    for (const order of ['sequential', '8 at a time'] as const) {
      const result = await longestBlock(async () => {
        for (let r = 0; r < BLOCK_ROUNDS; r++) {
          if (order === 'sequential') for (const input of inputs) await parse(input);
          else
            await Promise.all(
              inputs.map(async (input) => {
                await yieldToLoop(); // as after 8 concurrent file reads
                await parse(input);
              }),
            );
        }
      });
      console.log(
        `${name.padEnd(26)} ${order.padEnd(12)} ${result.maxMs.toFixed(1).padStart(7)} ` +
          `${result.p99Ms.toFixed(1).padStart(8)} ${result.wallMs.toFixed(0).padStart(10)}`,
      );
    }
  }
  const after = documentThreadStats();
  console.log(
    `(worker answered ${after.inWorker - before.inWorker} parses, ${after.inThread - before.inThread} ran in-thread)`,
  );
}

void main();
