import type * as PdfjsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { Buffer } from 'node:buffer';
import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { DocumentError } from './errors';
import { layoutText, type PageContent } from './pdf-layout';

type Pdfjs = typeof PdfjsModule;

/** The parts of pdfjs-dist we use, typed loosely so the ESM-only module can be loaded lazily. */
interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
}

let pdfjsLoading: Promise<Pdfjs> | undefined;

/**
 * Pages a PDF may declare. Patent publications run to tens or hundreds of pages (a few to a thousand or
 * two with sequence listings); the page-tree bomb of issue 10 declares 10⁹ pages in 19 KB by listing one
 * page again and again in nested /Kids, and pdfjs would read it page after page forever. The count is the
 * page tree's own (/Count), read before any page: a file above the limit is refused at once.
 */
export const MAX_PDF_PAGES = 5_000;

/**
 * What the FlateDecode streams pdfjs reads for text (page contents, fonts, object streams; not images,
 * which text extraction never decodes) may inflate to. pdfjs inflates a stream whole into buffers outside
 * the V8 heap, where the worker's heap limit does not reach: a 1 MB PDF whose content stream inflated to
 * 1 GiB ran into the 30 s deadline at 1.2 GB. A page's content stream is typically under 1 MB.
 */
export const PDF_STREAM_LIMITS = {
  /** One stream, inflated. */
  maxStreamBytes: 64 * 1024 * 1024,
  /** All such streams of the file together, inflated. */
  maxTotalBytes: 256 * 1024 * 1024,
};

/**
 * Refuses a PDF whose text-bearing FlateDecode streams inflate past `PDF_STREAM_LIMITS`, before pdfjs sees
 * it. Each stream is inflated here with an output cap (so the check itself is bounded) and dropped; a
 * stream this cannot inflate (damaged, or another filter first) is left to pdfjs.
 */
export function checkPdfStreams(bytes: Uint8Array, file: string): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const mib = (n: number) => `${n / 1024 / 1024} MiB`;
  const keyword = /\bstream\r?\n/g;
  let total = 0;
  for (let match = keyword.exec(text); match; match = keyword.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    keyword.lastIndex = end;
    // The stream's dictionary: back to its "obj" keyword, at most 4 KB.
    const from = Math.max(text.lastIndexOf('obj', match.index), match.index - 4096);
    const dictionary = text.slice(from, match.index);
    if (!/\/(?:FlateDecode|Fl)\b/.test(dictionary) || /\/Subtype\s*\/Image\b/.test(dictionary)) continue;
    let inflated: number;
    try {
      inflated = inflateSync(bytes.subarray(start, end), {
        maxOutputLength: PDF_STREAM_LIMITS.maxStreamBytes,
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
      }).length;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') continue;
      throw new DocumentError(
        file,
        'too-large',
        `has a stream that inflates to more than ${mib(PDF_STREAM_LIMITS.maxStreamBytes)} (the limit per stream).`,
      );
    }
    total += inflated;
    if (total > PDF_STREAM_LIMITS.maxTotalBytes) {
      throw new DocumentError(
        file,
        'too-large',
        `has streams that inflate to more than ${mib(PDF_STREAM_LIMITS.maxTotalBytes)} together (the limit).`,
      );
    }
  }
}

/**
 * The little of DOMMatrix pdfjs needs without a canvas: it builds one when its module loads (for canvas
 * rendering, which we never do) and scales/translates one for image-mask glyphs of Type3 fonts. In Node
 * pdfjs takes DOMMatrix from the optional native @napi-rs/canvas, which a bundled extension does not ship.
 */
class AffineMatrix {
  a = 1;
  b = 0;
  c = 0;
  d = 1;
  e = 0;
  f = 0;
  constructor(init?: number[]) {
    if (init && init.length >= 6)
      [this.a, this.b, this.c, this.d, this.e, this.f] = init as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
  }
  multiplySelf(m: { a: number; b: number; c: number; d: number; e: number; f: number }): this {
    const { a, b, c, d, e, f } = this;
    this.a = a * m.a + c * m.b;
    this.b = b * m.a + d * m.b;
    this.c = a * m.c + c * m.d;
    this.d = b * m.c + d * m.d;
    this.e = a * m.e + c * m.f + e;
    this.f = b * m.e + d * m.f + f;
    return this;
  }
  scaleSelf(sx = 1, sy = sx): this {
    return this.multiplySelf({ a: sx, b: 0, c: 0, d: sy, e: 0, f: 0 });
  }
  translateSelf(tx = 0, ty = 0): this {
    return this.multiplySelf({ a: 1, b: 0, c: 0, d: 1, e: tx, f: ty });
  }
  scale(sx = 1, sy = sx): AffineMatrix {
    return new AffineMatrix([this.a, this.b, this.c, this.d, this.e, this.f]).scaleSelf(sx, sy);
  }
  translate(tx = 0, ty = 0): AffineMatrix {
    return new AffineMatrix([this.a, this.b, this.c, this.d, this.e, this.f]).translateSelf(tx, ty);
  }
}

/** Exceptions pdfjs defines; a few escape it as unhandled rejections (below). */
const PDFJS_EXCEPTIONS = new Set([
  'FormatError',
  'ParserEOFException',
  'XRefEntryException',
  'XRefParseException',
  'MissingDataException',
  'InvalidPDFException',
  'UnknownErrorException',
  'PasswordException',
  'ResponseException',
  'UnexpectedResponseException',
  'AbortException',
]);

/**
 * On some corrupt files pdfjs leaves a promise of its own rejected with nobody listening (seen: "FormatError:
 * Illegal character" after a page failed to load), after the error we care about has already reached us.
 * Left alone, Node would end the process for it. This listener drops those pdfjs exceptions only; any other
 * unhandled rejection is raised as Node would have, unless someone else (the extension host) listens too.
 */
export function isPdfjsException(reason: unknown): boolean {
  return reason instanceof Error && PDFJS_EXCEPTIONS.has(reason.name);
}

function containPdfjsRejections(): void {
  process.on('unhandledRejection', (reason) => {
    if (isPdfjsException(reason)) return;
    if (process.listenerCount('unhandledRejection') === 1) {
      process.nextTick(() => {
        throw reason;
      });
    }
  });
}

/** Loads pdfjs once. Its "fake worker" runs in this thread: set here so no worker file is looked up on disk. */
async function loadPdfjs(): Promise<Pdfjs> {
  pdfjsLoading ??= (async () => {
    containPdfjsRejections();
    const global = globalThis as { pdfjsWorker?: unknown; DOMMatrix?: unknown };
    global.DOMMatrix ??= AffineMatrix;
    // While its module loads, pdfjs warns on the console about the optional canvas package it cannot
    // load, before any verbosity can be set: noise for the user. Silence the console then only.
    const warn = console.warn;
    console.warn = () => {};
    try {
      global.pdfjsWorker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
      return await import('pdfjs-dist/legacy/build/pdf.mjs');
    } finally {
      console.warn = warn;
    }
  })();
  return pdfjsLoading;
}

/**
 * The text of a PDF in reading order (see `pdf-layout.ts`), read with pdfjs in this thread: the draft-text
 * parser then finds claims and `[0012]` paragraphs in it, exactly as in a plain-text draft. Callers use
 * `parseDocument` (index.ts), which runs this in the document worker (document-thread.ts) where it can.
 */
export async function extractPdfTextHere(
  bytes: Uint8Array,
  file: string,
  signal?: AbortSignal,
): Promise<string> {
  checkPdfStreams(bytes, file);
  const pdfjs = await loadPdfjs();
  // pdfjs may take ownership of the buffer it is given: pass a copy, never the caller's bytes.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  const onAbort = () => void task.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  let pdf;
  try {
    pdf = await task.promise;
  } catch (error) {
    signal?.throwIfAborted();
    const name = (error as { name?: string }).name;
    const detail = name === 'PasswordException' ? 'is password-protected' : 'is not a readable PDF';
    throw new DocumentError(file, 'malformed', `${detail} (${(error as Error).message}).`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  try {
    if (pdf.numPages > MAX_PDF_PAGES) {
      throw new DocumentError(
        file,
        'too-large',
        `declares ${pdf.numPages.toLocaleString('en-US')} pages, more than the limit of ${MAX_PDF_PAGES.toLocaleString('en-US')}.`,
      );
    }
    const pages: PageContent[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      signal?.throwIfAborted();
      const page = await pdf.getPage(n);
      const items = await readPageText(page, n, file, signal);
      const [x0 = 0, , x1 = 612] = page.view;
      const pieces = items
        .filter((i): i is TextItem => 'str' in i)
        .map((i) => ({
          str: i.str,
          x: (i.transform[4] ?? 0) - x0,
          y: i.transform[5] ?? 0,
          width: i.width,
          height: i.height,
        }));
      pages.push({ width: x1 - x0, pieces });
      page.cleanup();
      pageListener?.();
    }
    return layoutText(pages);
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(file, 'malformed', `has a page pdfjs cannot read (${(error as Error).message}).`);
  } finally {
    // Left mid-page, pdfjs would finish the page before `destroy` resolves: do not wait (see below).
    if (abandoned) void pdf.destroy().catch(() => undefined);
    else await pdf.destroy();
  }
}

/**
 * Text pieces a page may have. A dense page of a patent publication has a few thousand (one per word or
 * line; per glyph in some PDFs, still under 10,000). A PDF mutated by the fuzz campaign had a page of
 * millions that pdfjs took 55 s on (and then ran out of stack).
 */
export const MAX_PDF_TEXT_ITEMS_PER_PAGE = 50_000;

let abandoned = false;

/**
 * Called after each page read: the document worker posts it as a sign of progress, which restarts the
 * request's deadline (document-thread.ts), so a long PDF is bounded per page, not cut off as a whole.
 */
let pageListener: (() => void) | undefined;

/** Sets (or clears) the listener told of each page read. One at a time: the document worker's requests. */
export function onPdfPageRead(listener: (() => void) | undefined): void {
  pageListener = listener;
}

/**
 * True once a read was given up while pdfjs was still working on a page (a limit or an abort): pdfjs's
 * "fake worker" runs in this thread and carries on with that page regardless, so the thread should be
 * ended (the document worker asks the calling thread to replace it).
 */
export function pdfjsWorkAbandoned(): boolean {
  return abandoned;
}

/** A page's text items, streamed so that a page over the limit, or an abort, stops the read at once. */
async function readPageText(
  page: Awaited<ReturnType<Awaited<ReturnType<Pdfjs['getDocument']>['promise']>['getPage']>>,
  pageNumber: number,
  file: string,
  signal: AbortSignal | undefined,
): Promise<object[]> {
  const reader = page.streamTextContent().getReader();
  const items: object[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return items;
    for (const item of (value as { items: object[] }).items) items.push(item);
    if (signal?.aborted) {
      abandoned = true;
      signal.throwIfAborted();
    }
    if (items.length > MAX_PDF_TEXT_ITEMS_PER_PAGE) {
      // Cancelling the stream makes pdfjs throw from its message handler: leave it unread instead.
      abandoned = true;
      throw new DocumentError(
        file,
        'too-large',
        `has more than ${MAX_PDF_TEXT_ITEMS_PER_PAGE.toLocaleString('en-US')} pieces of text on page ${pageNumber} (the limit per page).`,
      );
    }
  }
}
