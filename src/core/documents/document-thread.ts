/**
 * The document worker, seen from the calling thread: whole-document parsing (bytes of any format, or an
 * editor's text) runs in one shared worker thread, so the extension host's event loop never blocks on a
 * parse. Started on demand, unref'd while idle (a process may exit without waiting for it), stopped after
 * `IDLE_MS` idle, started again if it dies. Without the worker script the parse runs in this thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readDocuments, type BulkItem, type BulkPosition, type BulkProgress } from './bulk';
import { DocumentError, type DocumentProblem } from './errors';
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
  /** Reads the bulk file at `file` (a path) and streams one `BulkReply` per document, then 'done'. */
  | { type: 'parseFile'; id: number; file: string; maxDocumentBytes?: number }
  /** Flow control of a 'parseFile': the caller took `count` more documents, the worker may send as many. */
  | { type: 'more'; id: number; count: number };
export type DocumentReply =
  | { id: number; document: PatentDocument }
  /** A `DocumentError`'s fields; `cause` is the stack (or text) of an unforeseen error's original. */
  | { id: number; problem: DocumentProblem; detail: string; cause?: string }
  | BulkReply;
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

/** A worker with nothing to do goes away after this long (pdfjs and mammoth hold tens of MB once loaded). */
const IDLE_MS = 30_000;

/** What the calling thread has sent where, for tests and diagnostics. */
export interface DocumentThreadStats {
  /** Parses answered by the document worker (documents and `DocumentError`s). */
  inWorker: number;
  /** Parses run in the calling thread because there is no worker script. */
  inThread: number;
  /** Workers started (a restart after a crash or an idle stop counts again). */
  workersStarted: number;
}

const stats: DocumentThreadStats = { inWorker: 0, inThread: 0, workersStarted: 0 };

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

interface Pending {
  file: string;
  /** The worker it was sent to. */
  worker: Worker;
  resolve: (document: PatentDocument) => void;
  reject: (error: Error) => void;
}

/** Rebuilds the `DocumentError` the worker threw; the problem and detail cross the thread intact. */
function errorFromReply(
  file: string,
  reply: { problem: DocumentProblem; detail: string; cause?: string },
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

/** A 'parseFile' stream waiting for the worker's replies. */
interface PendingStream {
  file: string;
  worker: Worker;
  push: (reply: BulkReply) => void;
  fail: (error: Error) => void;
}

/** One shared worker; requests are answered by id. */
class DocumentWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, PendingStream>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly script: string) {}

  request(body: ParseRequestBody, transfer: ArrayBuffer[], signal?: AbortSignal): Promise<PatentDocument> {
    signal?.throwIfAborted();
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<PatentDocument>((resolve, reject) => {
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        this.idleCheck();
      };
      // Cancelled: answer at once (a synchronous parse in the worker cannot be interrupted, and its late
      // reply is dropped); the worker skips the request if it has not started it, and stops a PDF.
      const onAbort = () => {
        worker.postMessage({ type: 'abort', id } satisfies DocumentRequest);
        settle();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        file: body.file,
        worker,
        resolve: (document) => {
          settle();
          resolve(document);
        },
        reject: (error) => {
          settle();
          reject(signal?.aborted ? signal.reason : error);
        },
      });
      worker.postMessage({ ...body, id } as DocumentRequest, transfer);
    });
  }

  /**
   * Streams the documents of the bulk file at `file` from the worker. The worker sends at most
   * `BULK_WINDOW` documents ahead of the consumer, so a slow consumer holds back the reading instead of
   * piling documents up here. Ending the iteration early (break, abort) stops the worker's reading.
   */
  async *stream(
    file: string,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: BulkProgress) => void;
      maxDocumentBytes?: number;
    },
  ): AsyncGenerator<BulkItem> {
    const signal = options.signal;
    signal?.throwIfAborted();
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
          await new Promise<void>((resolve) => (wake = resolve));
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
            throw errorFromReply(file, reply);
          case 'document':
          case 'error': {
            stats.inWorker++;
            if (++taken % (BULK_WINDOW / 2) === 0) {
              worker.postMessage({ type: 'more', id, count: BULK_WINDOW / 2 } satisfies DocumentRequest);
            }
            yield reply.bulk === 'document'
              ? { position: reply.position, document: reply.document }
              : { position: reply.position, error: errorFromReply(file, reply) };
          }
        }
      }
    } finally {
      signal?.removeEventListener('abort', onEvent);
      this.streams.delete(id);
      if (!finished && this.worker === worker)
        worker.postMessage({ type: 'abort', id } satisfies DocumentRequest);
      this.idleCheck();
    }
  }

  private start(): Worker {
    clearTimeout(this.idleTimer);
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    // From source (tests, tsx scripts) the worker is TypeScript: load it through tsx's require hook, which
    // a worker does not inherit. Built, it is plain JavaScript.
    const worker = this.script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(this.script)});`, { eval: true })
      : new Worker(this.script);
    stats.workersStarted++;
    worker.on('message', (reply: DocumentReply) => {
      if ('bulk' in reply) {
        this.streams.get(reply.id)?.push(reply);
        return;
      }
      const pending = this.pending.get(reply.id);
      if (!pending) return; // cancelled
      stats.inWorker++;
      if ('document' in reply) pending.resolve(reply.document);
      else pending.reject(errorFromReply(pending.file, reply));
    });
    const fail = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of [...this.pending.values()]) {
        // Only this worker's requests: after its 'error', a new worker may serve others before its 'exit'.
        if (pending.worker !== worker) continue;
        pending.reject(
          new DocumentError(pending.file, 'unreadable', `could not be read: the document reader ${reason}.`),
        );
      }
      for (const stream of [...this.streams.values()]) {
        if (stream.worker !== worker) continue;
        stream.fail(
          new DocumentError(stream.file, 'unreadable', `could not be read: the document reader ${reason}.`),
        );
      }
    };
    worker.on('error', (error) => fail(`failed (${error.message})`));
    worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** Stops the worker; requests still waiting fail with a `DocumentError` naming their file. */
  async dispose(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate(); // its 'exit' rejects what was pending
  }

  /** With nothing pending, let the process exit without waiting for the worker, and stop it after a while. */
  private idleCheck(): void {
    if (this.pending.size > 0 || this.streams.size > 0 || !this.worker) return;
    const worker = this.worker;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0 && this.worker === worker) {
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

  constructor(script: string | undefined = workerScript()) {
    this.worker = script ? new DocumentWorker(script) : null;
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
    // A copy goes to the worker (transferred, not cloned twice): the caller's bytes stay the caller's.
    const copy = new Uint8Array(bytes);
    return this.worker.request(
      { type: 'parse', file, bytes: copy, maxBytes: options.maxBytes, format: options.format },
      [copy.buffer],
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
    return this.worker.request({ type: 'parseText', file, text, format }, [], signal);
  }

  /**
   * The documents of the bulk file at `path` (concatenated XML, Green Book, a .zip of them; see
   * bulk.ts), read and parsed in the worker as a stream: one item per document, as soon as it is parsed
   * (a document that cannot be read is an error item and the rest continue). Throws a `DocumentError`
   * when the file itself cannot be read, and the signal's reason on abort.
   */
  parseFile(
    path: string,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: BulkProgress) => void;
      maxDocumentBytes?: number;
    } = {},
  ): AsyncIterable<BulkItem> {
    if (!this.worker) {
      stats.inThread++;
      return readDocuments(path, options);
    }
    return this.worker.stream(path, options);
  }

  async dispose(): Promise<void> {
    await this.worker?.dispose();
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
