/**
 * The document worker, seen from the calling thread: whole-document parsing (bytes of any format, or an
 * editor's text) runs in one shared worker thread, so the extension host's event loop never blocks on a
 * parse. Started on demand, unref'd while idle (a process may exit without waiting for it), stopped after
 * `IDLE_MS` idle, started again if it dies. Without the worker script the parse runs in this thread.
 *
 * Every parse is bounded (issue 10, document bombs): requests go to the worker one at a time, each watched
 * by a deadline that any message the worker posts for it resets; past the deadline, or when a running
 * request is aborted and the worker does not let go of it within a short grace, the worker is terminated
 * and a new one serves the queue. The worker runs under a V8 heap limit, so a runaway parse ends the
 * worker, not the process. The request that hit a limit fails with a `DocumentError` naming the limit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { readDocuments, type BulkItem } from './bulk';
import { BulkStreamWorker, type BulkStreamOptions } from './bulk-thread';
import { DocumentError, type DocumentProblem } from './errors';
import { isWorkerOutOfMemory, startLimitedWorker } from './limited-worker';
import type { DocumentFormat, PatentDocument } from './model';
import { parseDocumentHere, parseDocumentTextHere, type TextFormat } from './parse';

export type DocumentRequest =
  | {
      type: 'parse';
      id: number;
      file: string;
      bytes: Uint8Array;
      maxBytes?: number;
      format?: DocumentFormat;
    }
  | { type: 'parseText'; id: number; file: string; text: string; format?: TextFormat }
  | { type: 'abort'; id: number }
  /** Reads the bulk file at `file` (a path) and streams `BulkReply`s, one per document, then 'done'. */
  | { type: 'parseFile'; id: number; file: string; maxDocumentBytes?: number; skip?: number }
  /** Flow control of a 'parseFile': the caller took `count` more documents, the worker may send as many. */
  | { type: 'more'; id: number; count: number };
/**
 * What the worker posts for a request. Every message carrying a request's id resets that request's
 * deadline; a message ends the request unless it says `more: true` (a request answered in several
 * messages posts them so, and each one proves the worker is still making progress).
 */
export type DocumentReply =
  | ((
      | { id: number; document: PatentDocument }
      /** A `DocumentError`'s fields; `cause` is the stack (or text) of an unforeseen error's original. */
      | { id: number; problem: DocumentProblem; detail: string; cause?: string }
    ) & {
      more?: boolean;
      /** The worker is left busy with work it gave up (pdf.ts `pdfjsWorkAbandoned`): replace it. */
      retire?: true;
    })
  /** A sign of life only: the worker has started the request (and is still at it). */
  | { id: number; more: true };

/** A worker with nothing to do goes away after this long (pdfjs and mammoth hold tens of MB once loaded). */
const IDLE_MS = 30_000;

/**
 * How long one document may take, measured from the worker's last sign of progress on it (its start, and
 * each PDF page). Real documents take well under a second to a few seconds (the shared XML, the PDF and
 * DOCX fixtures, on a loaded 2-core machine); a PDF page with megabytes of junk operators took 10–25 s
 * (fuzz campaign). Past this the worker is recycled.
 */
export const DOCUMENT_DEADLINE_MS = 30_000;

/**
 * The worker's V8 heap limit (old generation). The shared documents need under 100 MB of heap; a bomb
 * that gets past the format limits dies here instead of taking the process (and the editor) with it.
 * Buffers outside the heap are not counted: the format limits (docx.ts, pdf.ts) keep those small.
 */
export const DOCUMENT_WORKER_HEAP_MB = 512;

/**
 * A running request that is aborted gets this long to notice (the parsers check the signal between
 * pages and elements); a synchronous parse that does not is stopped by recycling the worker, so a cancel
 * frees the worker within a second.
 */
export const ABORT_GRACE_MS = 300;

/**
 * A new worker first loads its parsers (seconds from source under tsx on a busy machine): until it says it
 * has started a request, that request's deadline is extended by this much.
 */
export const WORKER_START_ALLOWANCE_MS = 30_000;

/** Limits of a `DocumentParser`'s worker; each defaults to the constant of the same meaning above. */
export interface DocumentWorkerLimits {
  deadlineMs?: number;
  heapMb?: number;
  abortGraceMs?: number;
}

/** What the calling thread has sent where, for tests and diagnostics. */
export interface DocumentThreadStats {
  /** Parses answered by the document worker (documents and `DocumentError`s). */
  inWorker: number;
  /** Parses run in the calling thread because there is no worker script. */
  inThread: number;
  /** Workers started (a restart after a crash or an idle stop counts again). */
  workersStarted: number;
  /** Workers terminated because a request ran past its deadline or did not let go of an abort. */
  workersRecycled: number;
}

const stats: DocumentThreadStats = { inWorker: 0, inThread: 0, workersStarted: 0, workersRecycled: 0 };

export function documentThreadStats(): DocumentThreadStats {
  return { ...stats };
}

/**
 * The worker script: `document-worker.js` beside the bundle (scripts/build.mjs builds it into out/), or
 * the TypeScript source when running from source under tsx.
 */
function workerScript(): string | undefined {
  for (const name of ['document-worker.js', 'document-worker.ts']) {
    const path = join(__dirname, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Rebuilds the `DocumentError` the worker threw; the problem and detail cross the thread intact. */
function errorFromReply(
  file: string,
  reply: Extract<DocumentReply, { problem: DocumentProblem }>,
): DocumentError {
  let cause: Error | undefined;
  if (reply.cause !== undefined) {
    cause = new Error(reply.cause.split('\n', 1)[0]);
    cause.stack = reply.cause;
  }
  return new DocumentError(file, reply.problem, reply.detail, cause ? { cause } : undefined);
}

type ParseRequest = Extract<DocumentRequest, { type: 'parse' | 'parseText' }>;
/** A request without its id: the id is given when it is sent. */
type ParseRequestBody = ParseRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Job {
  id: number;
  body: ParseRequestBody;
  signal: AbortSignal | undefined;
  /** Answered (or cancelled) already: later messages for it only tell that the worker is free. */
  settled: boolean;
  resolve: (document: PatentDocument) => void;
  reject: (error: unknown) => void;
}

/** The request the worker is busy with, and the timer that recycles the worker if it makes no progress. */
interface Running {
  job: Job;
  worker: Worker;
  watchdog: NodeJS.Timeout;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * One shared worker; requests wait here and go to it one at a time, so the deadline measures only the
 * request being parsed, and one that overruns costs the worker, never the queue behind it.
 */
class DocumentWorker {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private running: Running | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly deadlineMs: number;
  private readonly heapMb: number;
  private readonly abortGraceMs: number;

  constructor(
    private readonly script: string,
    limits: DocumentWorkerLimits = {},
  ) {
    this.deadlineMs = limits.deadlineMs ?? DOCUMENT_DEADLINE_MS;
    this.heapMb = limits.heapMb ?? DOCUMENT_WORKER_HEAP_MB;
    this.abortGraceMs = limits.abortGraceMs ?? ABORT_GRACE_MS;
  }

  request(body: ParseRequestBody, signal?: AbortSignal): Promise<PatentDocument> {
    signal?.throwIfAborted();
    return new Promise<PatentDocument>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        body,
        signal,
        settled: false,
        resolve: (document) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(document);
        },
        reject: (error) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(signal?.aborted ? signal.reason : error);
        },
      };
      // Cancelled: answer at once. Still queued, it is dropped; running, the worker is told to stop and
      // gets a short grace before it is recycled (a synchronous parse cannot be interrupted otherwise).
      const onAbort = () => {
        const index = this.queue.indexOf(job);
        if (index >= 0) this.queue.splice(index, 1);
        job.reject(signal?.reason);
        const running = this.running;
        if (running?.job === job) {
          running.worker.postMessage({ type: 'abort', id: job.id } satisfies DocumentRequest);
          this.arm(running, this.abortGraceMs);
          running.worker.unref(); // nothing waits for it any more
        }
        this.idleCheck();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Sends the next queued request if the worker is free. */
  private pump(): void {
    if (this.running || this.queue.length === 0) {
      this.idleCheck();
      return;
    }
    const job = this.queue.shift() as Job;
    const fresh = !this.worker;
    const worker = this.start();
    const running: Running = { job, worker, watchdog: setTimeout(() => undefined, 0) };
    this.running = running;
    // The worker's first message for it ("started") re-arms the plain deadline.
    this.arm(running, this.deadlineMs + (fresh ? WORKER_START_ALLOWANCE_MS : 0));
    // Cloned, not transferred: the caller's bytes stay the caller's.
    worker.postMessage({ ...job.body, id: job.id } as DocumentRequest);
  }

  /** (Re)starts the watchdog of the running request. */
  private arm(running: Running, ms: number): void {
    clearTimeout(running.watchdog);
    running.watchdog = setTimeout(() => this.overran(running), ms);
  }

  /** The running request made no progress in time: recycle the worker and fail the request. */
  private overran(running: Running): void {
    if (this.running !== running) return;
    const { job } = running;
    job.reject(
      new DocumentError(
        job.body.file,
        'timeout',
        `took longer than the limit of ${seconds(this.deadlineMs)} to read and was skipped (the document reader was restarted).`,
      ),
    );
    this.recycle(running);
  }

  /** Terminates the worker of the running request; the queue continues on a new one. */
  private recycle(running: Running): void {
    clearTimeout(running.watchdog);
    this.running = undefined;
    stats.workersRecycled++;
    if (this.worker === running.worker) this.worker = undefined;
    void running.worker.terminate();
    this.pump();
  }

  private onMessage(worker: Worker, reply: DocumentReply): void {
    const running = this.running;
    if (!running || running.worker !== worker || running.job.id !== reply.id) return;
    const { job } = running;
    if (reply.more) {
      // An aborted request keeps its short grace, however busy the worker says it is.
      if (!job.settled) this.arm(running, this.deadlineMs);
      return;
    }
    if (!('document' in reply) && !('problem' in reply)) return;
    clearTimeout(running.watchdog);
    this.running = undefined;
    if (!job.settled) {
      stats.inWorker++;
      if ('document' in reply) job.resolve(reply.document);
      else job.reject(errorFromReply(job.body.file, reply));
    }
    if (reply.retire) {
      stats.workersRecycled++;
      if (this.worker === worker) this.worker = undefined;
      void worker.terminate();
    }
    this.pump();
  }

  /** The worker died (out of memory, a crash, terminated): fail what it was reading, carry on. */
  private onFailure(worker: Worker, error: Error | undefined, code: number | undefined): void {
    if (this.worker === worker) this.worker = undefined;
    const running = this.running;
    if (!running || running.worker !== worker) return;
    clearTimeout(running.watchdog);
    this.running = undefined;
    const { file } = running.job.body;
    const outOfMemory = isWorkerOutOfMemory(error);
    running.job.reject(
      outOfMemory
        ? new DocumentError(
            file,
            'too-large',
            `needs more memory than the document reader's limit of ${this.heapMb} MB and was skipped.`,
          )
        : new DocumentError(
            file,
            'unreadable',
            `could not be read: the document reader ${error ? `failed (${error.message})` : `stopped (exit code ${code})`}.`,
          ),
    );
    this.pump();
  }

  private start(): Worker {
    clearTimeout(this.idleTimer);
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    const worker = startLimitedWorker(this.script, this.heapMb);
    stats.workersStarted++;
    worker.on('message', (reply: DocumentReply) => this.onMessage(worker, reply));
    worker.on('error', (error) => this.onFailure(worker, error, undefined));
    worker.on('exit', (code) => this.onFailure(worker, undefined, code));
    this.worker = worker;
    return worker;
  }

  /** Stops the worker; requests still waiting fail with a `DocumentError` naming their file. */
  async dispose(): Promise<void> {
    clearTimeout(this.idleTimer);
    const jobs = this.queue.splice(0);
    const running = this.running;
    this.running = undefined;
    if (running) {
      clearTimeout(running.watchdog);
      jobs.unshift(running.job);
    }
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    for (const job of jobs)
      job.reject(
        new DocumentError(job.body.file, 'unreadable', 'could not be read: the document reader was stopped.'),
      );
  }

  /** With nothing to do, let the process exit without waiting for the worker, and stop it after a while. */
  private idleCheck(): void {
    if (this.queue.length > 0 || !this.worker) return;
    if (this.running && !this.running.job.settled) return;
    const worker = this.worker;
    worker.unref();
    if (this.running) return; // an aborted request in its grace: recycled or finished soon
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.running && this.queue.length === 0 && this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

/**
 * Parses documents in a worker thread of its own (in the calling thread when there is no worker script).
 * The extension creates one in its composition root and disposes it on deactivation.
 */
export class DocumentParser {
  private readonly worker: DocumentWorker | null;
  /** Bulk files stream in a worker of their own (bulk-thread.ts), started on the first `parseFile`. */
  private readonly bulkWorker: BulkStreamWorker | null;

  /** `limits`: the worker's deadline, heap and abort grace (the constants above by default). */
  constructor(script: string | undefined = workerScript(), limits: DocumentWorkerLimits = {}) {
    this.worker = script ? new DocumentWorker(script, limits) : null;
    this.bulkWorker = script
      ? new BulkStreamWorker(script, {
          deadlineMs: limits.deadlineMs ?? DOCUMENT_DEADLINE_MS,
          heapMb: limits.heapMb ?? DOCUMENT_WORKER_HEAP_MB,
          startAllowanceMs: WORKER_START_ALLOWANCE_MS,
        })
      : null;
  }

  /**
   * The documents of the bulk file at `path` (concatenated XML, Green Book, a .zip of them; see bulk.ts),
   * read and parsed in a worker as a stream: one item per document, as soon as it is parsed (a document
   * that cannot be read is an error item and the rest continue). Throws a `DocumentError` when the file
   * itself cannot be read, and the signal's reason on abort.
   */
  parseFile(path: string, options: BulkStreamOptions = {}): AsyncIterable<BulkItem> {
    if (!this.bulkWorker) {
      stats.inThread++;
      return readDocuments(path, options);
    }
    return this.bulkWorker.stream(path, options);
  }

  /** `parseDocumentHere` in the worker. */
  parse(
    bytes: Uint8Array,
    file: string,
    options: { maxBytes?: number; format?: DocumentFormat; signal?: AbortSignal },
  ): Promise<PatentDocument> {
    if (!this.worker) {
      stats.inThread++;
      return parseDocumentHere(bytes, file, options);
    }
    return this.worker.request(
      { type: 'parse', file, bytes, maxBytes: options.maxBytes, format: options.format },
      options.signal,
    );
  }

  /** `parseDocumentTextHere` in the worker. */
  async parseText(
    text: string,
    file: string,
    format: TextFormat | undefined,
    signal?: AbortSignal,
  ): Promise<PatentDocument> {
    if (!this.worker) {
      stats.inThread++;
      signal?.throwIfAborted();
      return parseDocumentTextHere(text, file, format, signal);
    }
    return this.worker.request({ type: 'parseText', file, text, format }, signal);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.worker?.dispose(), this.bulkWorker?.dispose()]);
  }
}

let processParser: DocumentParser | undefined;

/**
 * The parser behind the module functions `parseDocument`/`parseDocumentText`, for one-shot processes (the
 * CLI, scripts, tests): its worker is unref'd while idle, so it never keeps such a process alive.
 */
export function processDocumentParser(): DocumentParser {
  processParser ??= new DocumentParser();
  return processParser;
}
