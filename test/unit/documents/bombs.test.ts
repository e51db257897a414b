/**
 * The document bombs of issue 10, generated at full size by test/support/bombs.ts, and the limits that
 * bound every parse (document-thread.ts: deadline, heap limit, cancellation; pdf.ts and docx.ts: format
 * limits). Each bomb must end within bounded time and memory with a `DocumentError` naming the file and
 * the limit, or parse; the worker must keep serving afterwards. Times and memory are hang and blow-up
 * guards with wide margins (2 busy cores), not speed claims; the measured figures are printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DocumentError,
  DocumentParser,
  documentThreadStats,
  parseDocument,
} from '../../../src/core/documents/index';
import { DOCX_LIMITS } from '../../../src/core/documents/docx';
import { MAX_PDF_PAGES, MAX_PDF_TEXT_ITEMS_PER_PAGE } from '../../../src/core/documents/pdf';
import {
  emptyParagraphCount,
  emptyParagraphsDocx,
  emptyParagraphsXml,
  emptyRunsDocx,
  fanOutPageCount,
  fanOutPdf,
  ALIVE_INTERVAL_MS,
  ALIVE_MESSAGES,
  hugeImageDocx,
  inflatingStreamPdf,
  manyTextPiecesPdf,
} from '../../support/bombs';

const DATA = join(__dirname, '../../../../shared/data');
const SMALL_XML = join(DATA, 'uspto/US08930553.xml');
const DOUBLE = join(__dirname, '../../support/bombs-worker.ts');
const MB = 1024 * 1024;

/** Runs `work`, sampling this process's RSS (the document worker is a thread of it) every 20 ms. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ outcome: PromiseSettledResult<T>; ms: number; peakGrowthMb: number }> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { outcome: outcome as PromiseSettledResult<T>, ms, peakGrowthMb: (peak - baseline) / MB };
}

function documentError(outcome: PromiseSettledResult<unknown>): DocumentError {
  assert.equal(outcome.status, 'rejected', 'expected the parse to be refused');
  const error = (outcome as PromiseRejectedResult).reason as unknown;
  assert.ok(error instanceof DocumentError, `a DocumentError, got ${String(error)}`);
  return error;
}

describe('document bombs (issue 10)', () => {
  it('the fan-out PDF (one page referenced 10⁹ times) is refused by its page count at once', async (t) => {
    const bytes = fanOutPdf();
    assert.equal(fanOutPageCount(), 1_000_000_000);
    const { outcome, ms, peakGrowthMb } = await measured(() => parseDocument(bytes, 'fan-out.pdf'));
    t.diagnostic(
      `fan-out PDF (${bytes.length} bytes): ${ms.toFixed(0)} ms, RSS +${peakGrowthMb.toFixed(0)} MB`,
    );
    const error = documentError(outcome);
    assert.equal(error.problem, 'too-large');
    assert.equal(
      error.message,
      `fan-out.pdf: declares 1,000,000,000 pages, more than the limit of ${MAX_PDF_PAGES.toLocaleString('en-US')}.`,
    );
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
    // A fan-out under the limit is read page by page: its 1,000 pages (one page, repeated) come out as
    // one line repeated on every page, which the layout drops as a running header: nothing is left.
    await assert.rejects(parseDocument(fanOutPdf({ levels: 3 }), 'small-fan-out.pdf'), {
      message: 'small-fan-out.pdf: has no claims and no description paragraphs.',
    });
  });

  it('a 1 MB PDF whose content stream inflates to 1 GiB is refused before pdfjs inflates it', async (t) => {
    const bytes = inflatingStreamPdf();
    const { outcome, ms, peakGrowthMb } = await measured(() => parseDocument(bytes, 'inflating-stream.pdf'));
    t.diagnostic(
      `inflating-stream PDF (${(bytes.length / MB).toFixed(1)} MB, stream 1 GiB): ${ms.toFixed(0)} ms, RSS +${peakGrowthMb.toFixed(0)} MB`,
    );
    const error = documentError(outcome);
    assert.equal(
      error.message,
      'inflating-stream.pdf: has a stream that inflates to more than 64 MiB (the limit per stream).',
    );
    assert.ok(ms < 30_000, `took ${ms.toFixed(0)} ms`);
    assert.ok(peakGrowthMb < 512, `RSS grew by ${peakGrowthMb.toFixed(0)} MB`);
    // Under the limit the same construction is an ordinary PDF: its text after 4 MiB of spaces is read.
    const small = await parseDocument(inflatingStreamPdf(4 * MB), 'small-stream.pdf');
    assert.match(small.paragraphs[0]?.text ?? '', /The text after the spaces/);
  });

  it('a PDF page of more text pieces than the limit is refused, and the busy pdfjs thread replaced', async (t) => {
    // Found by the fuzz campaign (seed 20261130, #1915): a mutated page pdfjs read for 55 s.
    const bytes = manyTextPiecesPdf(MAX_PDF_TEXT_ITEMS_PER_PAGE + 10_000);
    const before = documentThreadStats();
    const { outcome, ms } = await measured(() => parseDocument(bytes, 'many-pieces.pdf'));
    t.diagnostic(
      `${(bytes.length / MB).toFixed(1)} MB PDF of ${MAX_PDF_TEXT_ITEMS_PER_PAGE + 10_000} pieces: ${ms.toFixed(0)} ms`,
    );
    const error = documentError(outcome);
    assert.equal(
      error.message,
      'many-pieces.pdf: has more than 50,000 pieces of text on page 1 (the limit per page).',
    );
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
    assert.equal(
      documentThreadStats().workersRecycled - before.workersRecycled,
      1,
      'the worker was replaced',
    );
    const next = await parseDocument(readFileSync(SMALL_XML), SMALL_XML);
    assert.ok(next.claims.length > 0);
    // Under the limit the same page is read.
    const fewer = await parseDocument(manyTextPiecesPdf(100), 'fewer-pieces.pdf');
    assert.ok(fewer.sourceText?.includes('claim 1 or'), fewer.sourceText);
  });

  it('the 47 KB DOCX of 30 MiB of empty paragraphs is refused within 30 s and 1 GB', async (t) => {
    const bytes = emptyParagraphsDocx();
    assert.ok(bytes.length < 60_000, `${bytes.length} bytes`);
    const { outcome, ms, peakGrowthMb } = await measured(() => parseDocument(bytes, 'empty-paragraphs.docx'));
    t.diagnostic(
      `empty-paragraphs DOCX (${(bytes.length / 1024).toFixed(0)} KB): ${ms.toFixed(0)} ms, RSS +${peakGrowthMb.toFixed(0)} MB`,
    );
    const error = documentError(outcome);
    assert.equal(error.problem, 'too-large');
    assert.ok(emptyParagraphCount(30 * MB) > DOCX_LIMITS.maxParagraphs);
    assert.equal(
      error.message,
      `empty-paragraphs.docx: has more than ${DOCX_LIMITS.maxParagraphs.toLocaleString('en-US')} paragraphs ` +
        `(the limit; counted in word/document.xml).`,
    );
    assert.ok(ms < 30_000, `took ${ms.toFixed(0)} ms`);
    assert.ok(peakGrowthMb < 1024, `RSS grew by ${peakGrowthMb.toFixed(0)} MB`);
  });

  it('a DOCX of millions of elements in few paragraphs is refused by its element count', async () => {
    const bytes = emptyRunsDocx(DOCX_LIMITS.maxElements + 1000);
    await assert.rejects(parseDocument(bytes, 'empty-runs.docx'), {
      name: 'DocumentError',
      message:
        'empty-runs.docx: has more than 2,000,000 XML elements (the limit; counted in word/document.xml).',
    });
  });

  it('a DOCX part declared larger than the limit is refused before it is inflated', async () => {
    const bytes = emptyParagraphsDocx(DOCX_LIMITS.maxPartBytes + MB);
    await assert.rejects(parseDocument(bytes, 'big-part.docx'), (error: unknown) => {
      assert.ok(error instanceof DocumentError);
      assert.equal(error.problem, 'too-large');
      assert.match(
        error.message,
        /^big-part\.docx: has a part \(word\/document\.xml\) of 65(?:\.\d)? MiB uncompressed, more than the limit of 64 MiB\.$/,
      );
      return true;
    });
  });

  it('the DOCX with a 1 GiB image parses without the image ever being inflated (< 30 s, < 1 GB)', async (t) => {
    const bytes = hugeImageDocx();
    const { outcome, ms, peakGrowthMb } = await measured(() => parseDocument(bytes, 'huge-image.docx'));
    t.diagnostic(
      `huge-image DOCX (${(bytes.length / MB).toFixed(1)} MB, image 1 GiB): ${ms.toFixed(0)} ms, RSS +${peakGrowthMb.toFixed(0)} MB`,
    );
    assert.equal(outcome.status, 'fulfilled', String((outcome as PromiseRejectedResult).reason));
    const document = (outcome as PromiseFulfilledResult<Awaited<ReturnType<typeof parseDocument>>>).value;
    assert.deepEqual(
      document.claims.map((c) => c.number),
      [1, 2],
    );
    assert.deepEqual(document.claims[1]?.dependsOn, [1]);
    assert.match(document.paragraphs[0]?.text ?? '', /sensor patch records the heart signal/);
    assert.ok(ms < 30_000, `took ${ms.toFixed(0)} ms`);
    // Inflating the image alone would add 1 GiB; base64 of it 1.3 GB more.
    assert.ok(peakGrowthMb < 512, `RSS grew by ${peakGrowthMb.toFixed(0)} MB`);
  });

  it('the 19 MB XML of <p/> ends with a clear message naming the file, in bounded time', async (t) => {
    const bytes = emptyParagraphsXml();
    // The default deadline is 30 s; a shorter one keeps the default test run fast. Whatever ends it
    // first (an element limit of the XML reader, the heap limit, the deadline) must name the file.
    const parser = new DocumentParser(undefined, { deadlineMs: 10_000 });
    try {
      const { outcome, ms, peakGrowthMb } = await measured(() =>
        parser.parse(bytes, 'empty-paragraphs.xml', {}),
      );
      const error = documentError(outcome);
      t.diagnostic(
        `<p/> XML (${(bytes.length / MB).toFixed(1)} MB): ${ms.toFixed(0)} ms, RSS +${peakGrowthMb.toFixed(0)} MB: ${error.message}`,
      );
      assert.ok(error.message.startsWith('empty-paragraphs.xml: '), error.message);
      assert.ok(['too-large', 'timeout', 'malformed', 'empty'].includes(error.problem), error.problem);
      assert.doesNotMatch(error.message, /Invalid string length|internal error/);
      assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
      // The worker serves the next document.
      const next = await parser.parse(readFileSync(SMALL_XML), SMALL_XML, {});
      assert.ok(next.claims.length > 0);
    } finally {
      await parser.dispose();
    }
  });
});

describe('the document worker’s limits', () => {
  it('a request past its deadline fails with a DocumentError naming the limit; the queue continues on a new worker', async () => {
    const parser = new DocumentParser(DOUBLE, { deadlineMs: 1_500 });
    const xml = readFileSync(SMALL_XML);
    try {
      await parser.parse(xml, 'warm-up.xml', {}); // the worker is up: no start-up allowance
      const before = documentThreadStats();
      // Queued behind the hanging one: each is served, on the new worker.
      const hanging = parser.parse(xml, 'hang.xml', {});
      const queued = [parser.parse(xml, 'after-1.xml', {}), parser.parse(xml, 'after-2.xml', {})];
      const started = performance.now();
      await assert.rejects(hanging, (error: unknown) => {
        assert.ok(error instanceof DocumentError, String(error));
        assert.equal(error.problem, 'timeout');
        assert.equal(
          error.message,
          'hang.xml: took longer than the limit of 1.5 s to read and was skipped (the document reader was restarted).',
        );
        return true;
      });
      const waited = performance.now() - started;
      assert.ok(waited >= 1_400 && waited < 10_000, `failed after ${waited.toFixed(0)} ms`);
      for (const document of await Promise.all(queued)) assert.ok(document.claims.length > 0);
      const after = documentThreadStats();
      assert.equal(after.workersRecycled - before.workersRecycled, 1);
      assert.equal(after.workersStarted - before.workersStarted, 1, 'one new worker');
    } finally {
      await parser.dispose();
    }
  });

  it('every message the worker posts for a request resets its deadline', async () => {
    const deadlineMs = 1_000;
    assert.ok(ALIVE_INTERVAL_MS < deadlineMs && ALIVE_INTERVAL_MS * (ALIVE_MESSAGES + 1) > deadlineMs * 2);
    const parser = new DocumentParser(DOUBLE, { deadlineMs });
    try {
      await parser.parse(readFileSync(SMALL_XML), 'warm-up.xml', {});
      const started = performance.now();
      const document = await parser.parse(readFileSync(SMALL_XML), 'alive.xml', {});
      const ms = performance.now() - started;
      assert.ok(document.claims.length > 0);
      assert.ok(ms > deadlineMs * 2, `answered after ${ms.toFixed(0)} ms, over twice the deadline`);
    } finally {
      await parser.dispose();
    }
  });

  it('each PDF page read restarts the deadline: a long PDF is bounded per page, not cut off', async (t) => {
    const deadlineMs = 2_000;
    const parser = new DocumentParser(undefined, { deadlineMs });
    try {
      await parser.parse(readFileSync(SMALL_XML), 'warm-up.xml', {});
      await parser.parse(fanOutPdf({ levels: 1, fanout: 2 }), 'warm-up.pdf', {}).catch(() => undefined);
      const started = performance.now();
      // 4,096 pages of one repeated line: read to the end, then empty (the line is a running header).
      await assert.rejects(parser.parse(fanOutPdf({ levels: 4, fanout: 8 }), 'long.pdf', {}), {
        message: 'long.pdf: has no claims and no description paragraphs.',
      });
      const ms = performance.now() - started;
      t.diagnostic(`4,096 pages in ${ms.toFixed(0)} ms with a ${deadlineMs} ms deadline`);
    } finally {
      await parser.dispose();
    }
  });

  it('a parse that runs out of heap fails with a DocumentError, not the process; the next one parses', async () => {
    const parser = new DocumentParser(DOUBLE, { heapMb: 128 });
    try {
      await assert.rejects(parser.parse(readFileSync(SMALL_XML), 'hog.xml', {}), (error: unknown) => {
        assert.ok(error instanceof DocumentError, String(error));
        assert.equal(error.problem, 'too-large');
        assert.equal(
          error.message,
          "hog.xml: needs more memory than the document reader's limit of 128 MB and was skipped.",
        );
        return true;
      });
      const next = await parser.parse(readFileSync(SMALL_XML), SMALL_XML, {});
      assert.ok(next.claims.length > 0);
    } finally {
      await parser.dispose();
    }
  });

  it('aborting a running parse answers at once and frees the worker within a second', async (t) => {
    const parser = new DocumentParser(DOUBLE);
    const xml = readFileSync(SMALL_XML);
    try {
      await parser.parse(xml, 'warm-up.xml', {}); // the worker is up
      const before = documentThreadStats();
      const controller = new AbortController();
      const hanging = parser.parse(xml, 'hang.xml', { signal: controller.signal });
      const next = parser.parse(xml, 'next.xml', {});
      await new Promise((resolve) => setTimeout(resolve, 300)); // it is running now
      const aborted = performance.now();
      controller.abort();
      await assert.rejects(hanging, { name: 'AbortError' });
      const answeredMs = performance.now() - aborted;
      while (documentThreadStats().workersRecycled === before.workersRecycled) {
        assert.ok(performance.now() - aborted < 1_000, 'the worker was not freed within a second');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const freedMs = performance.now() - aborted;
      assert.ok((await next).claims.length > 0, 'the request queued behind it is served');
      t.diagnostic(
        `abort answered after ${answeredMs.toFixed(0)} ms, worker recycled after ${freedMs.toFixed(0)} ms, ` +
          `next request answered after ${(performance.now() - aborted).toFixed(0)} ms`,
      );
      assert.ok(answeredMs < 100, `the abort took ${answeredMs.toFixed(0)} ms to answer`);
    } finally {
      await parser.dispose();
    }
  });
});
