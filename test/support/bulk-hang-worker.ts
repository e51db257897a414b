/**
 * A test double in front of the real document worker (document-worker.ts) for bulk streams
 * (bulk-thread.ts): in a bulk file whose name contains `hang`, the worker announces document 3 and then
 * loops forever, synchronously (a parse that never ends and never looks at its signal). Everything else,
 * the same file read again with document 3 passed over included, reaches the real worker unchanged.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { BulkReply } from '../../src/core/documents/bulk-thread';
import type { DocumentRequest } from '../../src/core/documents/document-thread';

const port = parentPort as MessagePort;
const files = new Map<number, string>();

const on = port.on.bind(port);
port.on = ((event: string, listener: (message: DocumentRequest) => void) =>
  on(event, (message: DocumentRequest) => {
    if (message.type === 'parseFile') files.set(message.id, message.file);
    listener(message);
  })) as typeof port.on;

const post = port.postMessage.bind(port);
port.postMessage = ((message: BulkReply) => {
  post(message);
  if (
    message.bulk === 'parsing' &&
    message.position.ordinal === 3 &&
    files.get(message.id)?.includes('hang')
  ) {
    for (;;) {
      // never returns, never yields
    }
  }
}) as typeof port.postMessage;

// Loaded after the patches above (a static import would run first), through tsx's require hook.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/core/documents/document-worker');
