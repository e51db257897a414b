/**
 * Whole-document parsing runs in the document worker (document-thread.ts): the public entry points hand
 * every format and editors' text to it, the documents and `DocumentError`s come back intact, cancellation
 * answers at once, and the calling thread's event loop keeps ticking while the shared documents parse.
 * From source the worker is document-worker.ts, loaded through tsx.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import {
  DocumentError,
  DocumentParser,
  documentThreadStats,
  parseDocument,
  parseDocumentText,
} from '../../../src/core/documents/index';
import { parseDocumentHere } from '../../../src/core/documents/parse';

const DATA = join(__dirname, '../../../../shared/data');
const FIXTURES = join(__dirname, '../../fixtures/documents');
const SHARED = ['uspto', 'ep'].flatMap((folder) =>
  readdirSync(join(DATA, folder))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => join(DATA, folder, f)),
);
const ROUNDS = 4;

describe('the document worker', () => {
  it('parses the shared documents off the calling thread, which keeps ticking', async (t) => {
    assert.equal(SHARED.length, 8);
    const inputs = SHARED.map((path) => ({ path, bytes: new Uint8Array(readFileSync(path)) }));
    // Warm-up: starts the worker (tsx compiles the parsers there).
    await parseDocument(inputs[0]!.bytes, inputs[0]!.path);
    const before = documentThreadStats();
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(inputs.map(({ bytes, path }) => parseDocument(bytes, path)));
    }
    histogram.disable();
    const after = documentThreadStats();
    const maxMs = histogram.max / 1e6;
    t.diagnostic(`longest event-loop block while parsing ${ROUNDS}×8 documents: ${maxMs.toFixed(1)} ms`);
    assert.equal(
      after.inWorker - before.inWorker,
      ROUNDS * inputs.length,
      'every parse answered by the worker',
    );
    assert.equal(after.inThread, before.inThread, 'nothing parsed in the calling thread');
    assert.ok(after.workersStarted >= 1);
    // A hang guard, not a speed test: in-thread, one pass blocks for the sum of the parses.
    assert.ok(maxMs < 200, `the calling thread was blocked for ${maxMs.toFixed(0)} ms`);
  });

  it('returns the same document as parsing in this thread (structured clone loses nothing)', async () => {
    for (const path of [
      join(DATA, 'uspto/US08926509.xml'),
      join(DATA, 'ep/grant-v1-2-B2.xml'),
      join(FIXTURES, 'US20050004437A1.docx'),
      join(FIXTURES, 'US20050004437A1.pdf'),
    ]) {
      const bytes = new Uint8Array(readFileSync(path));
      const inWorker = await parseDocument(bytes, path);
      assert.deepEqual(inWorker, await parseDocumentHere(bytes, path), path);
      assert.equal(Object.getPrototypeOf(inWorker), Object.prototype);
    }
  });

  it('parses an editor’s text in the worker', async () => {
    const before = documentThreadStats().inWorker;
    const markdown = readFileSync(join(FIXTURES, 'US20050004437A1.md'), 'utf8');
    const document = await parseDocumentText(markdown, 'file:///draft.md');
    assert.equal(document.format, 'markdown');
    assert.equal(document.claims.length, 10);
    assert.equal(documentThreadStats().inWorker, before + 1);
  });

  it('carries a DocumentError across the thread boundary intact', async () => {
    const bytes = new TextEncoder().encode('<?xml version="1.0"?>\n<us-patent-grant><claims>\n<claim');
    await assert.rejects(parseDocument(bytes, 'broken.xml'), (error: unknown) => {
      assert.ok(error instanceof DocumentError, `a DocumentError, got ${String(error)}`);
      assert.equal(error.file, 'broken.xml');
      assert.equal(error.problem, 'malformed');
      assert.match(error.detail, /^is not well-formed XML/);
      assert.equal(error.message, `broken.xml: ${error.detail}`);
      return true;
    });
    await assert.rejects(parseDocumentText('<notapatent/>', 'untitled:x'), (error: unknown) => {
      assert.ok(error instanceof DocumentError);
      assert.equal(error.file, 'untitled:x');
      return true;
    });
  });

  it('is cancelled by an AbortSignal, at once, and keeps serving', async () => {
    const bytes = new Uint8Array(readFileSync(join(DATA, 'ep/grant-v1-2-B2.xml')));
    const aborted = AbortSignal.abort();
    await assert.rejects(parseDocument(bytes, 'a.xml', { signal: aborted }), { name: 'AbortError' });
    const controller = new AbortController();
    const parses = Array.from({ length: 6 }, () =>
      parseDocument(bytes, 'b.xml', { signal: controller.signal }),
    );
    controller.abort();
    for (const parse of parses) await assert.rejects(parse, { name: 'AbortError' });
    const document = await parseDocument(bytes, 'c.xml');
    assert.ok(document.paragraphs.length > 0);
  });

  it("an owned parser (the extension's) parses in its own worker and stops it on dispose", async () => {
    const path = join(DATA, 'uspto/US08926509.xml');
    const bytes = new Uint8Array(readFileSync(path));
    const parser = new DocumentParser(join(__dirname, '../../../src/core/documents/document-worker.ts'));
    const before = documentThreadStats();
    const document = await parser.parse(bytes, path, {});
    const after = documentThreadStats();
    assert.equal(after.workersStarted - before.workersStarted, 1, 'a worker of its own');
    assert.equal(after.inWorker - before.inWorker, 1);
    assert.equal(after.inThread, before.inThread);
    assert.deepEqual(document, await parseDocumentHere(bytes, path, {}));

    // Disposed with a parse on the way: that parse fails with a DocumentError naming its file.
    const pending = parser.parse(bytes, 'pending.xml', {});
    await parser.dispose();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof DocumentError, `a DocumentError, got ${String(error)}`);
      assert.equal(error.file, 'pending.xml');
      return true;
    });
  });
});
