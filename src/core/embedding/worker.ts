/**
 * Worker entry point (bundled to out/worker.js): owns one SentenceModel and answers the engine's requests.
 * Everything heavy — tokenizing, onnxruntime, pooling — happens on this thread, never the caller's.
 */
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

// Requests are handled strictly one after another: the engine sends the next only after a reply.
let chain = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  chain = chain.then(() => handle(request));
});
