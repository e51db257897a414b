/**
 * Worker thread that reads PDFs with pdfjs, so a long PDF never blocks the thread that asked (the
 * extension host) and whatever pdfjs leaves behind on a corrupt file stays in here. Protocol: see
 * pdf-thread.ts.
 */
import { parentPort } from 'node:worker_threads';
import { DocumentError } from './errors';
import { extractPdfTextHere, isPdfjsException } from './pdf';
import type { PdfReply, PdfRequest } from './pdf-thread';

// pdfjs sometimes leaves one of its own promises rejected with nobody listening (a corrupt file): drop
// those. Anything else is a bug here: let it end this worker, which the caller reports as an error.
process.on('unhandledRejection', (reason) => {
  if (isPdfjsException(reason)) return;
  throw reason;
});

const running = new Map<number, AbortController>();
const port = parentPort;

port?.on('message', (request: PdfRequest) => {
  if (request.type === 'abort') {
    running.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  extractPdfTextHere(request.bytes, request.file, controller.signal)
    .then(
      (text) => port.postMessage({ id: request.id, text } satisfies PdfReply),
      (error: unknown) => {
        const reply: PdfReply =
          error instanceof DocumentError
            ? { id: request.id, problem: error.problem, detail: error.detail }
            : { id: request.id, problem: 'unreadable', detail: `could not be read (${String(error)}).` };
        port.postMessage(reply);
      },
    )
    .finally(() => running.delete(request.id));
});
