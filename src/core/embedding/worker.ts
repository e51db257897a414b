/**
 * Worker entry point (bundled to out/worker.js): owns one SentenceModel and answers the engine's requests.
 * Everything heavy — tokenizing, onnxruntime, pooling — happens on this thread, never the caller's.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { serializeError } from './errors';
import type { WorkerRequest, WorkerResponse } from './protocol';
import { SentenceModel, type EmbedStats } from './sentence-model';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

let model: SentenceModel | undefined;

function reply(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handle(request: WorkerRequest): Promise<void> {
  try {
    if (request.type === 'load') {
      if (request.lowPriority) lowerThreadPriority();
      await model?.release();
      model = undefined;
      model = await SentenceModel.load(request.spec, {
        threads: request.threads,
        dims: request.dims,
        spinning: request.spinning,
      });
      reply({ type: 'loaded', id: request.id, info: model.info });
      return;
    }
    if (request.type === 'close') {
      await model?.release().catch(() => {});
      model = undefined;
      process.exit(request.code);
    }
    if (!model) throw new Error('no model loaded');
    const stats: EmbedStats = { sequences: 0, tokens: 0, paddedTokens: 0, runs: 0 };
    const vectors = await model.embed(request.texts, request.batching, stats);
    const dims = model.info.dims;
    const packed = new Float32Array(vectors.length * dims);
    vectors.forEach((v, i) => packed.set(v, i * dims));
    reply({ type: 'embedded', id: request.id, vectors: packed, count: vectors.length, dims, stats }, [
      packed.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    reply({ type: 'error', id: request.id, error: serializeError(error) });
  }
}

/**
 * Linux: nice 10 for this thread only (setpriority on a thread id), before onnxruntime creates its pool
 * threads, which inherit it. The editor's threads then always win the cores; inference takes what is left.
 * Elsewhere Node can only re-prioritise the whole process (the editor too), so nothing is done.
 */
function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not permitted or no /proc: run at normal priority.
  }
}

// Requests are handled strictly one after another: the engine sends the next only after a reply.
let chain = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  chain = chain.then(() => handle(request));
});
