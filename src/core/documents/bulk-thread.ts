/**
 * Bulk files through a worker thread, seen from the calling thread (`DocumentParser.parseFile`).
 *
 * A bulk file streams for minutes (a weekly file holds thousands of documents), so it gets a worker of its
 * own, started on demand beside the single-document worker: the editor's claim parsing never queues
 * behind it. The worker (document-worker.ts, 'parseFile' requests) reads the file from its path, parses
 * each document and posts it at once; it sends at most `BULK_WINDOW` documents ahead of what the consumer
 * took ('more' messages), so a slow consumer holds the reading back instead of piling documents up here.
 *
 * Limits as for single documents (issue 10): the worker runs under the same V8 heap limit, and while the
 * consumer waits, the worker must post something (a document, an error item, progress) within the
 * per-document deadline, or it is recycled and the stream fails with a 'timeout' naming the document it
 * was at. A consumer that stops (break, abort) stops the worker's reading.
 */
import { Worker } from 'node:worker_threads';
import type { BulkItem, BulkPosition, BulkProgress } from './bulk';
import type { DocumentRequest } from './document-thread';
import { DocumentError, type DocumentProblem } from './errors';
import type { PatentDocument } from './model';

/** The replies to a 'parseFile' request: many per request, told apart by `bulk`. */
export type BulkReply =
  | { id: number; bulk: 'document'; position: BulkPosition; document: PatentDocument }
  | {
      id: number;
      bulk: 'error';
      position: BulkPosition;
      problem: DocumentProblem;
      detail: string;
      cause?: string;
    }
  | { id: number; bulk: 'progress'; progress: BulkProgress }
  | { id: number; bulk: 'done' }
  /** The file itself could not be read (missing, a damaged zip): the stream ends with this error. */
  | { id: number; bulk: 'failed'; problem: DocumentProblem; detail: string; cause?: string };

/** Documents a 'parseFile' worker may send ahead of what the caller took: bounds the caller's memory. */
export const BULK_WINDOW = 16;

/** A bulk worker with no stream goes away after this long. */
const IDLE_MS = 30_000;

export interface BulkStreamOptions {
  signal?: AbortSignal;
  onProgress?: (progress: BulkProgress) => void;
  maxDocumentBytes?: number;
}

interface Stream {
  file: string;
  worker: Worker;
  push: (reply: BulkReply) => void;
  fail: (error: Error) => void;
}

function errorFromFields(
  file: string,
  fields: { problem: DocumentProblem; detail: string; cause?: string },
): DocumentError {
  let cause: Error | undefined;
  if (fields.cause !== undefined) {
    cause = new Error(fields.cause.split('\n', 1)[0]);
    cause.stack = fields.cause;
  }
  return new DocumentError(file, fields.problem, fields.detail, cause ? { cause } : undefined);
}

export class BulkStreamWorker {
  private worker: Worker | undefined;
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly script: string,
    /** As for the single-document worker (document-thread.ts), which passes its own. */
    private readonly limits: { deadlineMs: number; heapMb: number; startAllowanceMs: number },
  ) {}

  async *stream(file: string, options: BulkStreamOptions): AsyncGenerator<BulkItem> {
    const signal = options.signal;
    signal?.throwIfAborted();
    const fresh = !this.worker;
    const worker = this.start();
    const id = this.nextId++;
    const replies: BulkReply[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const onEvent = () => wake?.();
    this.streams.set(id, {
      file,
      worker,
      push: (reply) => {
        replies.push(reply);
        onEvent();
      },
      fail: (error) => {
        failure = error;
        onEvent();
      },
    });
    signal?.addEventListener('abort', onEvent);
    let finished = false;
    let taken = 0;
    try {
      worker.postMessage({
        type: 'parseFile',
        id,
        file,
        maxDocumentBytes: options.maxDocumentBytes,
      } satisfies DocumentRequest);
      for (;;) {
        signal?.throwIfAborted();
        const reply = replies.shift();
        if (!reply) {
          if (failure) throw failure;
          // A fresh worker first loads its parsers (seconds from source under tsx on a busy machine).
          const allowance = fresh && taken === 0 ? this.limits.startAllowanceMs : 0;
          await this.nextReply(worker, file, taken, allowance, (resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        switch (reply.bulk) {
          case 'progress':
            options.onProgress?.(reply.progress);
            continue;
          case 'done':
            finished = true;
            return;
          case 'failed':
            finished = true;
            throw errorFromFields(file, reply);
          case 'document':
          case 'error': {
            if (++taken % (BULK_WINDOW / 2) === 0) {
              worker.postMessage({ type: 'more', id, count: BULK_WINDOW / 2 } satisfies DocumentRequest);
            }
            yield reply.bulk === 'document'
              ? { position: reply.position, document: reply.document }
              : { position: reply.position, error: errorFromFields(file, reply) };
          }
        }
      }
    } finally {
      signal?.removeEventListener('abort', onEvent);
      this.streams.delete(id);
      if (!finished && this.worker === worker) {
        worker.postMessage({ type: 'abort', id } satisfies DocumentRequest);
      }
      this.idleCheck();
    }
  }

  /**
   * Waits for the worker's next message for this stream; past the deadline the worker is recycled and
   * every stream on it fails (this one with a 'timeout' naming the document it was at).
   */
  private async nextReply(
    worker: Worker,
    file: string,
    taken: number,
    allowanceMs: number,
    setWake: (resolve: () => void) => void,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      setWake(resolve);
      timer = setTimeout(() => {
        const seconds = Number((this.limits.deadlineMs / 1000).toFixed(1));
        this.recycle(
          worker,
          new DocumentError(
            file,
            'timeout',
            `document ${taken + 1} took longer than the limit of ${seconds} s to read; the rest of the file was not read.`,
          ),
        );
        resolve();
      }, this.limits.deadlineMs + allowanceMs);
    });
    clearTimeout(timer);
  }

  private recycle(worker: Worker, error: DocumentError): void {
    if (this.worker === worker) this.worker = undefined;
    for (const stream of [...this.streams.values()]) if (stream.worker === worker) stream.fail(error);
    void worker.terminate();
  }

  private start(): Worker {
    clearTimeout(this.idleTimer);
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    const resourceLimits = { maxOldGenerationSizeMb: this.limits.heapMb };
    const worker = this.script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(this.script)});`, {
          eval: true,
          resourceLimits,
        })
      : new Worker(this.script, { resourceLimits });
    worker.on('message', (reply: BulkReply) => {
      if (typeof reply === 'object' && reply !== null && 'bulk' in reply)
        this.streams.get(reply.id)?.push(reply);
    });
    const fail = (reason: string, problem: DocumentProblem = 'unreadable') => {
      if (this.worker === worker) this.worker = undefined;
      for (const stream of [...this.streams.values()]) {
        if (stream.worker !== worker) continue;
        stream.fail(
          new DocumentError(
            stream.file,
            problem,
            `could not be read to its end: the document reader ${reason}.`,
          ),
        );
      }
    };
    worker.on('error', (error) =>
      (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? fail(`needed more memory than its limit of ${this.limits.heapMb} MB`, 'too-large')
        : fail(`failed (${error.message})`),
    );
    worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private idleCheck(): void {
    if (this.streams.size > 0 || !this.worker) return;
    const worker = this.worker;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.streams.size === 0 && this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  async dispose(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate(); // its 'exit' fails the streams still reading
  }
}
