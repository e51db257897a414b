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
 * per-document deadline (each document is announced before it is parsed), or it is recycled: that
 * document becomes a 'timeout' error item naming it, and a new worker continues after it. A consumer that
 * stops (break, abort) stops the worker's reading.
 */
import type { Worker } from 'node:worker_threads';
import { describePosition, type BulkItem, type BulkPosition, type BulkProgress } from './bulk';
import type { DocumentRequest } from './document-thread';
import { DocumentError, type DocumentProblem } from './errors';
import { isWorkerOutOfMemory, startLimitedWorker } from './limited-worker';
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
  /** The worker starts parsing the document at `position` (the deadline measures each document). */
  | { id: number; bulk: 'parsing'; position: BulkPosition }
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
    /** Items yielded so far, over every pass: a restarted worker passes over this many. */
    let taken = 0;
    let lastProgress = -1;
    // One pass per worker: a document that overruns the deadline costs the worker, is reported, and a new
    // worker continues after it (re-reading the bytes before it without parsing them).
    for (;;) {
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
      let heard = false;
      let takenHere = 0;
      /** The document the worker announced it is parsing. */
      let current: BulkPosition | undefined;
      try {
        worker.postMessage({
          type: 'parseFile',
          id,
          file,
          maxDocumentBytes: options.maxDocumentBytes,
          skip: taken,
        } satisfies DocumentRequest);
        for (;;) {
          signal?.throwIfAborted();
          const reply = replies.shift();
          if (!reply) {
            if (failure) throw failure;
            // A fresh worker first loads its parsers (seconds from source under tsx on a busy machine).
            const allowance = fresh && !heard ? this.limits.startAllowanceMs : 0;
            const timedOut = await this.nextReply(allowance, (resolve) => (wake = resolve));
            wake = undefined;
            if (!timedOut) continue;
            const seconds = Number((this.limits.deadlineMs / 1000).toFixed(1));
            this.streams.delete(id);
            finished = true;
            this.recycle(worker);
            if (!current) {
              throw new DocumentError(
                file,
                'timeout',
                `could not be read: the document reader gave no sign of progress within ${seconds} s.`,
              );
            }
            taken++;
            yield {
              position: current,
              error: new DocumentError(
                file,
                'timeout',
                `${describePosition(current)}: took longer than the limit of ${seconds} s to read and was skipped (the document reader was restarted).`,
              ),
            };
            break; // the next pass, on a new worker
          }
          heard = true;
          switch (reply.bulk) {
            case 'parsing':
              current = reply.position;
              continue;
            case 'progress':
              // A restarted pass reads the file from its start again: progress only moves forward.
              if (reply.progress.bytesRead > lastProgress) {
                lastProgress = reply.progress.bytesRead;
                options.onProgress?.(reply.progress);
              }
              continue;
            case 'done':
              finished = true;
              return;
            case 'failed':
              finished = true;
              throw errorFromFields(file, reply);
            case 'document':
            case 'error': {
              current = undefined;
              taken++;
              if (++takenHere % (BULK_WINDOW / 2) === 0) {
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
  }

  /** Waits for the next message of a stream; true when the deadline passed first. */
  private async nextReply(allowanceMs: number, setWake: (resolve: () => void) => void): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    await new Promise<void>((resolve) => {
      setWake(resolve);
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, this.limits.deadlineMs + allowanceMs);
    });
    clearTimeout(timer);
    return timedOut;
  }

  /** Terminates a worker that overran; other streams on it fail when it exits (its 'exit' event). */
  private recycle(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  private start(): Worker {
    clearTimeout(this.idleTimer);
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    const worker = startLimitedWorker(this.script, this.limits.heapMb);
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
      isWorkerOutOfMemory(error)
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
