/**
 * Reading bulk files: documents/s, MB/s and peak memory, beside a baseline measured in the same run.
 *
 * Builds, in a temporary folder (removed afterwards), bulk files by repeating the shared USPTO documents
 * (../shared/data/uspto, each with its own declaration and DOCTYPE, as in the weekly files): one of
 * BENCH_BULK_DOCUMENTS documents (default 1000) and one three times as large (to show that memory does
 * not grow with the file), and a .zip of the first. Each measurement runs in a fresh child process, so
 * its peak RSS (`process.resourceUsage().maxRSS`: the whole process, the document worker's thread
 * included) is its own:
 *   worker      `parseBulkFile` (the document worker streams the file: what `parse --jsonl` and the index do)
 *   in-thread   `readDocuments` in the calling thread (the core reader alone)
 *   zip         `parseBulkFile` on the .zip (entries streamed out of the archive; MB/s of the XML inside)
 *   baseline    each document as its own file through today's `parseDocument` (read whole, copied to the
 *               worker, parsed): the same documents, the same parser
 * Run: npm run bench:bulk
 */
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  parseBulkFile,
  parseDocument,
  readDocuments,
  type BulkItem,
  type BulkProgress,
} from '../../src/core/documents/index';
import { zipBytes } from '../../test/support/zip-writer';

const DATA = join(__dirname, '../../../shared/data/uspto');
const SAMPLES = readdirSync(DATA)
  .filter((f) => f.endsWith('.xml'))
  .sort()
  .map((f) => join(DATA, f));
const DOCUMENTS = Number(process.env.BENCH_BULK_DOCUMENTS ?? 1000);

type Mode = 'worker' | 'in-thread' | 'zip' | 'baseline';

interface Measurement {
  documents: number;
  errors: number;
  paragraphs: number;
  seconds: number;
  bytes: number;
  /** Peak resident set size of the process, MB. */
  peakRssMb: number;
  /** Largest JS heap used seen in the calling thread, MB. */
  peakHeapMb: number;
}

/** Child process: reads `path` in `mode` and prints one JSON `Measurement`. */
async function measure(mode: Mode, path: string, count: number): Promise<void> {
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  let documents = 0;
  let errors = 0;
  let paragraphs = 0;
  let bytes = 0;
  const started = performance.now();
  if (mode === 'baseline') {
    for (let i = 0; i < count; i++) {
      const file = SAMPLES[i % SAMPLES.length]!;
      const data = readFileSync(file);
      bytes += data.length;
      const document = await parseDocument(data, file);
      documents++;
      paragraphs += document.paragraphs.length;
    }
  } else {
    // MB/s of the XML read: for the zip, its entry's uncompressed size (progress reports it).
    let totalBytes = statSync(path).size;
    const onProgress = (progress: BulkProgress) => (totalBytes = progress.totalBytes);
    const items: AsyncIterable<BulkItem> =
      mode === 'in-thread' ? readDocuments(path, { onProgress }) : parseBulkFile(path, { onProgress });
    for await (const item of items) {
      if ('document' in item) {
        documents++;
        paragraphs += item.document.paragraphs.length;
      } else errors++;
    }
    bytes = totalBytes;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const result: Measurement = {
    documents,
    errors,
    paragraphs,
    seconds,
    bytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 1024 / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Writes `count` documents, the samples in turn, without holding the file in memory. */
async function writeBulk(path: string, count: number): Promise<number> {
  const samples = SAMPLES.map((f) => readFileSync(f));
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    if (!out.write(samples[i % samples.length])) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

function run(mode: Mode, path: string, count: number): Measurement {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', __filename, '--measure', mode, path, String(count)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(output.trim().split('\n').at(-1)!) as Measurement;
}

function line(label: string, m: Measurement): string {
  const mb = m.bytes / 1024 / 1024;
  return (
    `${label.padEnd(34)} ${String(m.documents).padStart(5)} documents (${m.errors} errors, ${m.paragraphs} paragraphs) ` +
    `in ${m.seconds.toFixed(2)} s: ${(m.documents / m.seconds).toFixed(0)} documents/s, ` +
    `${(mb / m.seconds).toFixed(1)} MB/s; peak RSS ${m.peakRssMb.toFixed(0)} MB, peak heap ${m.peakHeapMb.toFixed(0)} MB`
  );
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'pp-bench-bulk-'));
  try {
    const small = join(folder, 'ipg-bench.xml');
    const large = join(folder, 'ipg-bench-3x.xml');
    const zip = join(folder, 'ipg-bench.zip');
    const smallBytes = await writeBulk(small, DOCUMENTS);
    const largeBytes = await writeBulk(large, DOCUMENTS * 3);
    writeFileSync(zip, zipBytes([{ name: 'ipg-bench.xml', data: readFileSync(small) }]));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      `bulk files from ${SAMPLES.length} USPTO samples repeated: ${DOCUMENTS} documents (${mb(smallBytes)}), ` +
        `${DOCUMENTS * 3} documents (${mb(largeBytes)}), zip of the first (${mb(statSync(zip).size)}); ` +
        `node ${process.version}, each line a fresh process`,
    );
    console.log(line(`baseline: ${DOCUMENTS} single files`, run('baseline', small, DOCUMENTS)));
    console.log(line(`worker: bulk file`, run('worker', small, DOCUMENTS)));
    console.log(line(`worker: bulk file 3x`, run('worker', large, DOCUMENTS * 3)));
    console.log(line(`in-thread: bulk file`, run('in-thread', small, DOCUMENTS)));
    console.log(line(`worker: zipped bulk file`, run('zip', zip, DOCUMENTS)));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--measure') {
  void measure(args[1] as Mode, args[2]!, Number(args[3])).then(() => process.exit(0));
} else {
  void main();
}
