/**
 * Starting a document reader's worker thread (the single-document worker and the bulk worker alike): with a
 * V8 heap limit, so a runaway parse ends the worker, not the process.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts `script` with an old-generation heap of `heapMb`. From source (tests, tsx scripts) the worker is
 * TypeScript: it is loaded through tsx's require hook, which a worker does not inherit. Built, it is plain
 * JavaScript.
 */
export function startLimitedWorker(script: string, heapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: heapMb };
  return script.endsWith('.ts')
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, resourceLimits })
    : new Worker(script, { resourceLimits });
}

/** The worker ended because it reached its heap limit. */
export function isWorkerOutOfMemory(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}
