import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DocumentError, type DocumentProblem } from './errors';
import { extractPdfTextHere } from './pdf';

export type PdfRequest =
  { type: 'extract'; id: number; file: string; bytes: Uint8Array } | { type: 'abort'; id: number };
export type PdfReply =
  { id: number; text: string } | { id: number; problem: DocumentProblem; detail: string };

/** A worker with nothing to do goes away after this long (pdfjs holds tens of MB once loaded). */
const IDLE_MS = 30_000;

/**
 * The worker script: `pdf-worker.js` beside the bundle (scripts/build.mjs builds it into out/), or the
 * TypeScript source when running from source under tsx.
 */
function workerScript(): string | undefined {
  for (const name of ['pdf-worker.js', 'pdf-worker.ts']) {
    const path = join(__dirname, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

interface Pending {
  file: string;
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

/** One shared worker, started on demand, stopped when idle; requests are answered by id. */
class PdfWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly script: string) {}

  extract(bytes: Uint8Array, file: string, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'abort', id } satisfies PdfRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        this.idleCheck();
      };
      this.pending.set(id, {
        file,
        resolve: (text) => {
          settle();
          resolve(text);
        },
        reject: (error) => {
          settle();
          reject(signal?.aborted ? signal.reason : error);
        },
      });
      const copy = new Uint8Array(bytes);
      worker.postMessage({ type: 'extract', id, file, bytes: copy } satisfies PdfRequest, [copy.buffer]);
    });
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
    worker.on('message', (reply: PdfReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      if ('text' in reply) pending.resolve(reply.text);
      else pending.reject(new DocumentError(pending.file, reply.problem, reply.detail));
    });
    const fail = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of [...this.pending.values()]) {
        pending.reject(
          new DocumentError(pending.file, 'unreadable', `could not be read: the PDF reader ${reason}.`),
        );
      }
    };
    worker.on('error', (error) => fail(`failed (${error.message})`));
    worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** With nothing pending, let the process exit without waiting for the worker, and stop it after a while. */
  private idleCheck(): void {
    if (this.pending.size > 0 || !this.worker) return;
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

let shared: PdfWorker | undefined;

/**
 * The text of a PDF (see `extractPdfTextHere`), read in a worker thread when the worker script is
 * there, else in this thread.
 */
export async function extractPdfText(bytes: Uint8Array, file: string, signal?: AbortSignal): Promise<string> {
  if (!shared) {
    const script = workerScript();
    if (!script) return extractPdfTextHere(bytes, file, signal);
    shared = new PdfWorker(script);
  }
  return shared.extract(bytes, file, signal);
}
