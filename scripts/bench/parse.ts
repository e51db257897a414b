/**
 * Parsing speed per format, in MB/s of input, over the shared patent documents (../shared/data), beside a
 * baseline measured in the same run on the same bytes, so the cost of building the document model shows:
 *   XML         baseline: saxes tokenizing the text with no handlers (the floor for any SAX-based parser)
 *   text / md   baseline: UTF-8 decoding and splitting into lines
 *   DOCX        baseline: mammoth.extractRawText (unzip + document XML, no structure)
 *   PDF         baseline: pdfjs getTextContent on every page (no line or paragraph building)
 * Text, Markdown, DOCX and PDF inputs are the shared XML documents rendered as drafts (all paragraphs and
 * claims) with scripts/fixtures/render-drafts.ts. Medians of repeated runs. Run: npm run bench:parse
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mammoth from 'mammoth';
import { SaxesParser } from 'saxes';
import { parseDocument } from '../../src/core/documents/index';
import { renderDocx, renderMarkdown, renderPdf, renderText } from '../fixtures/render-drafts';

const DATA = join(__dirname, '../../../shared/data');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);

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
 * time (user + system). Parsing is single-threaded (pdfjs runs its worker in this thread), so on a busy
 * machine the CPU time is the steadier figure.
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
}

void main();
