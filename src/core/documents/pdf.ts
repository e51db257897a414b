import type * as PdfjsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError } from './errors';

type Pdfjs = typeof PdfjsModule;

/** The parts of pdfjs-dist we use, typed loosely so the ESM-only module can be loaded lazily. */
interface TextItem {
  str: string;
  hasEOL: boolean;
  transform: number[];
  height: number;
}

let pdfjsLoading: Promise<Pdfjs> | undefined;

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

/** Loads pdfjs once. Its "fake worker" runs in this thread: set here so no worker file is looked up on disk. */
async function loadPdfjs(): Promise<Pdfjs> {
  pdfjsLoading ??= (async () => {
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
 * The text of a PDF, page by page, as lines; a blank line wherever the vertical gap between two lines is
 * clearly larger than the line spacing (a new paragraph), and between pages. The draft-text parser then
 * finds claims and `[0012]` paragraphs in it, exactly as in a plain-text draft.
 */
export async function extractPdfText(bytes: Uint8Array, file: string, signal?: AbortSignal): Promise<string> {
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
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      signal?.throwIfAborted();
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(pageText(content.items.filter((i): i is TextItem & typeof i => 'str' in i)));
      page.cleanup();
    }
    return pages.join('\n\n');
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(file, 'malformed', `has a page pdfjs cannot read (${(error as Error).message}).`);
  } finally {
    await pdf.destroy();
  }
}

function pageText(items: TextItem[]): string {
  const lines: { text: string; y: number; height: number }[] = [];
  let text = '';
  let y: number | undefined;
  let height = 0;
  const endLine = () => {
    if (text.trim().length > 0 && y !== undefined) lines.push({ text: text.trimEnd(), y, height });
    text = '';
    y = undefined;
  };
  for (const item of items) {
    const itemY = item.transform[5] ?? 0;
    // A jump in baseline without an explicit end of line still starts a new line.
    if (y !== undefined && Math.abs(itemY - y) > Math.max(2, item.height * 0.5) && item.str.trim()) endLine();
    if (y === undefined && item.str.trim()) y = itemY;
    text += item.str;
    height = Math.max(height, item.height);
    if (item.hasEOL) endLine();
  }
  endLine();
  const spacings = lines
    .slice(1)
    .map((line, i) => (lines[i]?.y ?? 0) - line.y)
    .filter((d) => d > 0);
  const typical = median(spacings) ?? 0;
  const out: string[] = [];
  lines.forEach((line, i) => {
    const previous = lines[i - 1];
    if (previous && typical > 0 && previous.y - line.y > typical * 1.4) out.push('');
    out.push(line.text);
  });
  return out.join('\n');
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
