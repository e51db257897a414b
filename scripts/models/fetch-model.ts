/**
 * Downloads a BERT-architecture sentence-transformers model from the Hugging Face hub and writes an fp32
 * ONNX model folder for the embedding engine, with our own exporter (no Python):
 *
 *   npm run model:fetch -- bhlim/bge-base-patentmatch [--out models/bge-base-patentmatch] [--revision main] [--force]
 *
 * HF_ENDPOINT overrides https://huggingface.co (mirrors); HF_TOKEN is sent for gated models. Everything is
 * downloaded into a temporary folder beside the target and renamed into place only once the exported model
 * has loaded and run, so a failure — the hub unreachable, as on machines without internet — leaves
 * `models/` as it was.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { loadModelFolder, MANIFEST_FILE } from '../../src/core/embedding/model-folder';
import { SentenceModel } from '../../src/core/embedding/sentence-model';
import { exportBertCheckpoint, parseBertConfig } from '../../src/modelbuild/bert';

/** What a sentence-transformers repository holds that the engine needs. */
const REQUIRED = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'modules.json', '1_Pooling/config.json'];
const OPTIONAL = ['sentence_bert_config.json', 'config_sentence_transformers.json', 'special_tokens_map.json', 'README.md'];

export interface FetchOptions {
  repo: string;
  /** The folder to create (default models/<repo name>). */
  outDir?: string;
  revision?: string;
  endpoint?: string;
  token?: string;
  force?: boolean;
  log?: (line: string) => void;
}

export class FetchError extends Error {
  override readonly name = 'FetchError';
}

export async function fetchModel(options: FetchOptions): Promise<{ outDir: string; bytes: number; parameters: number }> {
  const log = options.log ?? (() => {});
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(options.repo)) throw new FetchError(`"${options.repo}" is not a hub model id (owner/name)`);
  const outDir = resolve(options.outDir ?? join('models', basename(options.repo)));
  if ((await stat(outDir).catch(() => undefined)) && !options.force) {
    throw new FetchError(`${outDir} already exists (use --force to replace it)`);
  }
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/$/, '');
  const revision = options.revision ?? 'main';
  const url = (file: string) => `${endpoint}/${options.repo}/resolve/${encodeURIComponent(revision)}/${file}`;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  const get = async (file: string, required: boolean): Promise<Response | undefined> => {
    let response: Response;
    try {
      response = await fetch(url(file), { headers, redirect: 'follow', signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new FetchError(
        `cannot reach ${endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message}): nothing was written. ` +
          'Fetch the model on a machine with internet access and copy the folder, or export it with Python ' +
          `(optimum-cli export onnx --model ${options.repo} --task feature-extraction --library-name sentence_transformers ${outDir}).`,
      );
    }
    if (response.ok) return response;
    await response.body?.cancel();
    if (!required && response.status === 404) return undefined;
    const hint = response.status === 401 || response.status === 403 ? ' (a gated or private model: set HF_TOKEN)' : '';
    throw new FetchError(`${url(file)}: HTTP ${response.status}${hint}`);
  };

  // Ask for config.json first: an unreachable hub or a non-BERT model fails before anything is written.
  const configResponse = await get('config.json', true);
  const configText = await (configResponse as Response).text();
  try {
    parseBertConfig(JSON.parse(configText), `${options.repo}/config.json`);
  } catch (error) {
    throw new FetchError((error as Error).message);
  }

  await mkdir(dirname(outDir), { recursive: true });
  const temp = await mkdtemp(join(dirname(outDir), `.${basename(outDir)}.partial-`));
  try {
    await writeFile(join(temp, 'config.json'), configText);
    for (const file of [...REQUIRED.slice(1), ...OPTIONAL]) {
      const response = await get(file, REQUIRED.includes(file));
      if (!response?.body) continue;
      await mkdir(dirname(join(temp, file)), { recursive: true });
      const size = Number(response.headers.get('content-length') ?? 0);
      log(`downloading ${file}${size ? ` (${(size / 1e6).toFixed(1)} MB)` : ''}`);
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(join(temp, file)));
    }
    log('exporting model.safetensors to model.onnx (fp32)');
    const exported = await exportBertCheckpoint(temp);
    await rm(join(temp, 'model.safetensors'));
    await writeFile(
      join(temp, MANIFEST_FILE),
      `${JSON.stringify({ id: options.repo, source: { hub: `${endpoint}/${options.repo}`, revision, exporter: 'src/modelbuild/bert.ts' } }, null, 2)}\n`,
    );

    // The folder must load and run before it replaces anything.
    const spec = await loadModelFolder(temp);
    const model = await SentenceModel.load(spec, { threads: 1 });
    const [vector] = await model.embed(['A rechargeable battery comprising an electrode assembly.'], { longText: 'truncate', maxBatchRows: 1, maxBatchTokens: 4096 });
    await model.release();
    if (!vector || !vector.every(Number.isFinite)) throw new FetchError('the exported model gives no finite vector');
    log(`verified: ${spec.displayName}, ${model.info.fullDims} dims, max ${spec.maxTokens} tokens, ${spec.graph.kind === 'token-embeddings' ? spec.graph.pooling : 'pooled'} pooling`);

    if (options.force) await rm(outDir, { recursive: true, force: true });
    await rename(temp, outDir);
    return { outDir, bytes: exported.bytes, parameters: exported.parameters };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  const repo = argv.find((a) => !a.startsWith('--') && !['--out', '--revision'].includes(argv[argv.indexOf(a) - 1] ?? ''));
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (!repo || argv.includes('--help')) {
    process.stderr.write('Usage: npm run model:fetch -- <owner/name> [--out DIR] [--revision REV] [--force]\n');
    return repo ? 0 : 2;
  }
  const started = Date.now();
  try {
    const result = await fetchModel({
      repo,
      outDir: value('--out'),
      revision: value('--revision'),
      force: argv.includes('--force'),
      endpoint: process.env.HF_ENDPOINT,
      token: process.env.HF_TOKEN,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stderr.write(
      `wrote ${result.outDir} (${(result.parameters / 1e6).toFixed(1)}M parameters, ${(result.bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`model:fetch: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
