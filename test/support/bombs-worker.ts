/**
 * A test double in front of the real document worker (document-worker.ts), for the limits of
 * document-thread.ts: requests for a few special file names behave badly on purpose, every other request
 * reaches the real worker unchanged.
 * - `…hang…`: loops forever, synchronously (a parse that never ends and never looks at its signal);
 * - `…hog…`: allocates until the worker's heap limit ends it;
 * - `…alive…`: posts a progress message (`more: true`) every `ALIVE_INTERVAL_MS`, `ALIVE_MESSAGES` times,
 *   then the real parse of its bytes: slower in total than a short deadline, never silent for as long.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { DocumentReply, DocumentRequest } from '../../src/core/documents/document-thread';
import { parseDocumentHere } from '../../src/core/documents/parse';
import { ALIVE_INTERVAL_MS, ALIVE_MESSAGES } from './bombs';

const port = parentPort as MessagePort;

function misbehave(request: DocumentRequest): boolean {
  if (request.type !== 'parse') return false;
  if (request.file.includes('hang')) {
    for (;;) {
      // never returns, never yields
    }
  }
  if (request.file.includes('hog')) {
    const hog: number[][] = [];
    for (;;) hog.push(new Array<number>(100_000).fill(1.5));
  }
  if (request.file.includes('alive')) {
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ < ALIVE_MESSAGES) {
        port.postMessage({
          id: request.id,
          more: true,
          problem: 'empty',
          detail: 'still reading',
        } satisfies DocumentReply);
        return;
      }
      clearInterval(timer);
      void parseDocumentHere(request.bytes, request.file).then((document) =>
        port.postMessage({ id: request.id, document } satisfies DocumentReply),
      );
    }, ALIVE_INTERVAL_MS);
    return true;
  }
  return false;
}

// The real worker's message listener sees only what this double lets through.
const on = port.on.bind(port);
port.on = ((event: string, listener: (message: DocumentRequest) => void) =>
  on(event, (message: DocumentRequest) => {
    if (!misbehave(message)) listener(message);
  })) as typeof port.on;

// Loaded after the patch above (a static import would run first), through tsx's require hook (the only
// one this worker has).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/core/documents/document-worker');
