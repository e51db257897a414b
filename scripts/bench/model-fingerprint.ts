/**
 * `npx tsx scripts/bench/model-fingerprint.ts [--mb 440]`: what the model fingerprint costs (loadModelFolder
 * hashes every byte of model.onnx, the tokenizer files and the settings) beside the head-and-tail hash it
 * replaced, for the bundled model and for a synthetic folder with a BERT-base-sized model.onnx (random
 * bytes; loadModelFolder reads no graph). Also the longest event-loop stall while hashing, since the
 * extension host runs it. Timings are with the file in the page cache (it was just written or read).
 */
import { createHash, randomFillSync } from 'node:crypto';
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModelFolder } from '../../src/core/embedding/model-folder';

const root = resolve(__dirname, '..', '..');
const bundled = join(root, 'models', 'use-lite-en');
const mbIndex = process.argv.indexOf('--mb');
const syntheticMb = mbIndex > 0 ? Number(process.argv[mbIndex + 1]) : 440;

/** The fingerprint before: JSON texts + the ONNX file's size and first and last MB. */
async function headAndTail(folder: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [
    'patent-passages.json',
    'config.json',
    'modules.json',
    'sentence_bert_config.json',
    'tokenizer_config.json',
  ])
    hash.update(await readFile(join(folder, file), 'utf8').catch(() => ''));
  const handle = await open(join(folder, 'model.onnx'), 'r');
  try {
    const { size } = await handle.stat();
    hash.update(String(size));
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    await handle.read(chunk, 0, chunk.length, 0);
    hash.update(chunk);
    await handle.read(chunk, 0, chunk.length, Math.max(0, size - chunk.length));
    hash.update(chunk);
  } finally {
    await handle.close();
  }
  return hash.digest('hex').slice(0, 12);
}

/** Runs `work` while measuring the longest gap between 1 ms timer ticks (event-loop stall). */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; stallMs: number; value: T }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  return { ms, stallMs, value };
}

async function measure(label: string, folder: string): Promise<void> {
  const onnxMb = ((await stat(join(folder, 'model.onnx'))).size / 1e6).toFixed(1);
  const before = await timed(() => headAndTail(folder));
  const first = await timed(() => loadModelFolder(folder));
  const again = await timed(() => loadModelFolder(folder));
  console.log(
    `${label} (model.onnx ${onnxMb} MB): head+tail hash (before) ${before.ms.toFixed(1)} ms; ` +
      `loadModelFolder with the full-content fingerprint ${first.ms.toFixed(1)} ms ` +
      `(longest event-loop stall ${first.stallMs.toFixed(1)} ms), again in the same process ${again.ms.toFixed(1)} ms`,
  );
}

/** Copies every file of `from` except model.onnx into the new folder `to`, following links to their content. */
async function copySmallFiles(from: string, to: string): Promise<void> {
  await mkdir(to);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.name === 'model.onnx') continue;
    const source = join(from, entry.name);
    if ((await lstat(source).then((i) => i.isDirectory())) || entry.isDirectory())
      await copySmallFiles(source, join(to, entry.name));
    else await copyFile(source, join(to, entry.name));
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}`);
  await measure('bundled use-lite-en', bundled);
  const scratch = await mkdtemp(join(tmpdir(), 'pp-fingerprint-bench-'));
  try {
    // A new folder of plain copies of the bundled model's small files (never a link into models/: the
    // large model.onnx below must not overwrite the real one), then a fresh model.onnx of random bytes.
    const folder = join(scratch, 'large');
    await copySmallFiles(bundled, folder);
    const onnxPath = join(folder, 'model.onnx');
    if ((await lstat(folder)).isSymbolicLink()) throw new Error(`${folder} is a link`);
    const onnx = await open(onnxPath, 'wx');
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < syntheticMb; i++) await onnx.write(randomFillSync(block));
    await onnx.close();
    await writeFile(join(folder, 'README.md'), 'synthetic: random model.onnx bytes for timing only\n');
    await measure(`synthetic ${syntheticMb} MiB model`, folder);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
void main();
