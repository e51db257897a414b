/**
 * Worker thread that parses whole documents (every format, and editors' text), so a parse never blocks
 * the thread that asked (the extension host), and whatever pdfjs leaves behind on a corrupt file stays in
 * here. It runs the in-thread parsers of parse.ts. Protocol: see document-thread.ts.
 *
 * Requests are queued and run one at a time, each in its own macrotask, so an abort that arrives while
 * one runs is seen before the next starts: a cancelled request still queued is skipped. Every request gets
 * a final reply, a cancelled one too: the calling thread sends the next request only when the worker is
 * free, and recycles the worker if a reply is late (see document-thread.ts).
 */
import { parentPort } from 'node:worker_threads';
import { readDocuments } from './bulk';
import { BULK_WINDOW, type BulkReply } from './bulk-thread';
import type { DocumentReply, DocumentRequest } from './document-thread';
import { DocumentError } from './errors';
import type { PatentDocument } from './model';
import { parseDocumentHere, parseDocumentTextHere } from './parse';
import { isPdfjsException, onPdfPageRead, pdfjsWorkAbandoned } from './pdf';

// pdfjs sometimes leaves one of its own promises rejected with nobody listening (a corrupt file): drop
// those. Anything else is a bug here: let it end this worker, which the caller reports as an error.
process.on('unhandledRejection', (reason) => {
  if (isPdfjsException(reason)) return;
  throw reason;
});

type ParseRequest = Extract<DocumentRequest, { type: 'parse' | 'parseText' }>;
type FileRequest = Extract<DocumentRequest, { type: 'parseFile' }>;

const queue: ParseRequest[] = [];
const controllers = new Map<number, AbortController>();
const port = parentPort;
let draining = false;

function replyFor(id: number, error: unknown): DocumentReply {
  if (error instanceof DocumentError) {
    const cause = error.cause instanceof Error ? (error.cause.stack ?? String(error.cause)) : undefined;
    return { id, problem: error.problem, detail: error.detail, ...(cause ? { cause } : {}) };
  }
  return {
    id,
    problem: 'unreadable',
    detail: `could not be read (${String(error)}).`,
    cause: error instanceof Error ? error.stack : undefined,
  };
}

async function run(request: ParseRequest, signal: AbortSignal): Promise<PatentDocument> {
  if (request.type === 'parseText') {
    return parseDocumentTextHere(request.text, request.file, request.format, signal);
  }
  return parseDocumentHere(request.bytes, request.file, {
    maxBytes: request.maxBytes,
    format: request.format,
    signal,
  });
}

function drain(): void {
  const request = queue.shift();
  if (!request) {
    draining = false;
    return;
  }
  // Started: the calling thread's deadline for this request runs from here, and again from each page.
  const alive = () => port?.postMessage({ id: request.id, more: true } satisfies DocumentReply);
  alive();
  onPdfPageRead(alive);
  const controller = controllers.get(request.id) ?? new AbortController();
  const started = controller.signal.aborted
    ? Promise.reject(new DocumentError(request.file, 'unreadable', 'was cancelled.'))
    : run(request, controller.signal);
  // A PDF read given up mid-page leaves pdfjs working in this thread: ask to be replaced.
  const retire = () => (pdfjsWorkAbandoned() ? { retire: true as const } : {});
  started
    .then(
      (document) => port?.postMessage({ id: request.id, document, ...retire() } satisfies DocumentReply),
      (error: unknown) =>
        port?.postMessage({ ...replyFor(request.id, error), ...retire() } satisfies DocumentReply),
    )
    .finally(() => {
      onPdfPageRead(undefined);
      controllers.delete(request.id);
      setImmediate(drain);
    });
}

/** Per running 'parseFile': documents it may still send, and how to wake it when it may send more. */
const credits = new Map<number, { left: number; wake?: () => void }>();
/** Progress goes out at most this often (each reply also tells the caller the worker is alive). */
const PROGRESS_MS = 200;

/**
 * Streams a bulk file's documents (a bulk worker of its own gets these requests: bulk-thread.ts). Runs
 * beside the queue, not in it, so several streams may interleave between documents.
 */
async function runFile(request: FileRequest, controller: AbortController): Promise<void> {
  const { id } = request;
  const signal = controller.signal;
  const credit: { left: number; wake?: () => void } = { left: BULK_WINDOW };
  credits.set(id, credit);
  const post = (reply: BulkReply) => port?.postMessage(reply);
  let lastProgress = 0;
  try {
    const items = readDocuments(request.file, {
      signal,
      maxDocumentBytes: request.maxDocumentBytes,
      skip: request.skip,
      // Each document announced before it is parsed: the caller's deadline then measures that document.
      onDocument: (position) => post({ id, bulk: 'parsing', position }),
      onProgress: (progress) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_MS && progress.bytesRead < progress.totalBytes) return;
        lastProgress = now;
        post({ id, bulk: 'progress', progress });
      },
    });
    for await (const item of items) {
      while (credit.left <= 0 && !signal.aborted) await new Promise<void>((wake) => (credit.wake = wake));
      if (signal.aborted) return;
      credit.left--;
      if ('document' in item)
        post({ id, bulk: 'document', position: item.position, document: item.document });
      else post({ id, bulk: 'error', position: item.position, ...errorFields(item.error) });
    }
    post({ id, bulk: 'done' });
  } catch (error) {
    if (!signal.aborted) post({ id, bulk: 'failed', ...errorFields(error) });
  } finally {
    credits.delete(id);
    controllers.delete(id);
  }
}

function errorFields(error: unknown): { problem: DocumentError['problem']; detail: string; cause?: string } {
  const { problem, detail, cause } = replyFor(0, error) as Extract<DocumentReply, { problem: unknown }>;
  return cause === undefined ? { problem, detail } : { problem, detail, cause };
}

port?.on('message', (request: DocumentRequest) => {
  if (request.type === 'abort') {
    controllers.get(request.id)?.abort();
    credits.get(request.id)?.wake?.();
    return;
  }
  if (request.type === 'more') {
    const credit = credits.get(request.id);
    if (credit) {
      credit.left += request.count;
      credit.wake?.();
    }
    return;
  }
  if (request.type === 'parseFile') {
    const controller = new AbortController();
    controllers.set(request.id, controller);
    void runFile(request, controller);
    return;
  }
  controllers.set(request.id, new AbortController());
  queue.push(request);
  if (!draining) {
    draining = true;
    setImmediate(drain);
  }
});
