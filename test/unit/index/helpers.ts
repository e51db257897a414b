/** Shared set-up for the index tests: real patent documents copied into a temporary workspace. */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../../../src/cli/command';
import { parseDocument } from '../../../src/core/documents';
import type { EmbedOptions, Embedder } from '../../../src/core/embedding/embedder';
import type { Logger } from '../../../src/core/logger';

export const SHARED_DATA = resolve(__dirname, '../../../../shared/data');
export const REPO_ROOT = resolve(__dirname, '../../..');

const temporaryFolders: string[] = [];
process.once('exit', () => {
  for (const folder of temporaryFolders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export async function temporaryFolder(prefix = 'pp-index-'): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  temporaryFolders.push(folder);
  return folder;
}

/** Copies real documents from ../shared/data into a fresh temporary folder. */
export async function workspaceWith(files: string[]): Promise<string> {
  const dir = await temporaryFolder();
  for (const file of files) {
    const target = join(dir, file);
    await mkdir(join(target, '..'), { recursive: true });
    await copyFile(join(SHARED_DATA, file), target);
  }
  return dir;
}

export const parse = (bytes: Uint8Array, uri: string) => parseDocument(bytes, uri);

/**
 * A deterministic stand-in for the ONNX engine, used ONLY for store and incremental-update mechanics,
 * where what matters is which texts get embedded, not what the vectors mean: each word is hashed into
 * one of `dims` buckets (a bag of words), then L2-normalised. Search quality is tested with the real
 * engine (test/unit/search/real-model.test.ts).
 */
export class HashingEmbedder implements Embedder {
  constructor(
    readonly modelId = 'test-hashing-bag-of-words',
    readonly dims = 64,
  ) {}

  async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    options?.signal?.throwIfAborted();
    await new Promise((r) => setImmediate(r));
    return texts.map((text) => {
      const vector = new Float32Array(this.dims);
      for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
        const bucket = createHash('md5').update(word).digest().readUInt32LE(0) % this.dims;
        vector[bucket] = (vector[bucket] ?? 0) + 1;
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((x) => x / norm);
    });
  }

  dispose(): void {}
}

/** Wraps any embedder and records every passage text it is asked to embed. */
export class CountingEmbedder implements Embedder {
  readonly passageTexts: string[] = [];
  readonly queryTexts: string[] = [];
  calls = 0;

  constructor(private readonly inner: Embedder) {}

  get modelId(): string {
    return this.inner.modelId;
  }
  get dims(): number {
    return this.inner.dims;
  }
  get hybridDenseWeight(): number | undefined {
    return this.inner.hybridDenseWeight;
  }

  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.calls++;
    (options?.kind === 'query' ? this.queryTexts : this.passageTexts).push(...texts);
    return this.inner.embed(texts, options);
  }

  reset(): void {
    this.passageTexts.length = 0;
    this.queryTexts.length = 0;
    this.calls = 0;
  }

  dispose(): Promise<void> | void {
    return this.inner.dispose();
  }
}

/** A logger that keeps what it is told, to assert that a problem is reported once. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string }[] = [];
  error = (message: string): void => void this.lines.push({ level: 'error', message });
  warn = (message: string): void => void this.lines.push({ level: 'warn', message });
  info = (message: string): void => void this.lines.push({ level: 'info', message });
  debug = (): void => {};
  count(level: string, pattern: RegExp): number {
    return this.lines.filter((l) => l.level === level && pattern.test(l.message)).length;
  }
}

/** SHA-256 of every file under a folder except the cache: proves user files were not touched. */
export async function fingerprintFiles(dir: string, skip = '.patent-passages'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name === skip) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        out.set(
          path,
          createHash('sha256')
            .update(await readFile(path))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

/** The default model folder, built by `npm run build:models` (the test script builds it first). */
export const DEFAULT_MODEL = resolve(REPO_ROOT, 'models/use-lite-en');
export const WORKER_BOOTSTRAP = resolve(REPO_ROOT, 'test/unit/embedding/worker-bootstrap.cjs');

/** The real ONNX engine on the default model, its worker run from source. */
export async function realEmbedder(): Promise<Embedder> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(DEFAULT_MODEL, 'model.onnx'))) {
    throw new Error(`${DEFAULT_MODEL} is missing: run 'npm run build:models' first`);
  }
  const { createEmbedder } = await import('../../../src/core/embedding');
  return createEmbedder({
    modelDir: DEFAULT_MODEL,
    workerPath: WORKER_BOOTSTRAP,
    idleTimeoutMs: 0,
    threads: 1,
  });
}

/** Runs a CLI command in this process with its output captured. */
export async function runCli(
  command: CliCommand,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await command.run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
