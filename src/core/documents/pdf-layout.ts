/**
 * Reading order for the text of PDF pages, from positioned text pieces (pdfjs text items): lines by
 * baseline, two-column pages read column by column (US patent publications), line numbers in the margin
 * or gutter dropped, running headers and footers dropped, and a blank line where a paragraph ends (a
 * clearly larger vertical gap, or a first-line indent). The result is read like a plain-text draft.
 */

export interface TextPiece {
  str: string;
  /** Baseline origin in PDF units, y growing upwards. */
  x: number;
  y: number;
  width: number;
  /** Font size, roughly. */
  height: number;
}

export interface PageContent {
  width: number;
  pieces: TextPiece[];
}

interface Line {
  text: string;
  x: number;
  y: number;
  right: number;
  height: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const LINE_NUMBER = /^\s*\d{1,3}\s*$/;

const isLineNumber = (p: TextPiece) => LINE_NUMBER.test(p.str) && Number(p.str) % 5 === 0;
// Line numbers are centred or right-aligned on one spot, whatever their width.
const centreBucket = (p: TextPiece) => `c${Math.round((p.x + p.width / 2) / 6)}`;
const rightBucket = (p: TextPiece) => `r${Math.round((p.x + p.width) / 6)}`;

/**
 * Where the document prints line numbers every few lines, in a margin or between columns ("5", "10",
 * "15"): spots that hold at least three stand-alone multiples of 5, counted over the whole document.
 */
function lineNumberSpots(pages: PageContent[]): Set<string> {
  const counts = new Map<string, number>();
  for (const page of pages) {
    for (const piece of page.pieces) {
      if (!isLineNumber(piece)) continue;
      for (const spot of [centreBucket(piece), rightBucket(piece)])
        counts.set(spot, (counts.get(spot) ?? 0) + 1);
    }
  }
  return new Set([...counts].filter(([, n]) => n >= 3).map(([spot]) => spot));
}

const runningKey = (p: TextPiece) => p.str.replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();

/** Pieces on a page's topmost or bottommost baseline. */
function edgePieces(page: PageContent): TextPiece[] {
  const ys = page.pieces.filter((p) => p.str.trim()).map((p) => p.y);
  if (ys.length === 0) return [];
  const top = Math.max(...ys);
  const bottom = Math.min(...ys);
  return page.pieces.filter((p) => Math.abs(p.y - top) <= 2 || Math.abs(p.y - bottom) <= 2);
}

/**
 * Running headers and footers: text (digits aside, so page numbers and dates match) on the top or bottom
 * baseline of at least half of the pages, and of two at least.
 */
function runningKeys(pages: PageContent[]): Set<string> {
  const counts = new Map<string, number>();
  for (const page of pages) {
    for (const key of new Set(edgePieces(page).map(runningKey))) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const minimum = Math.max(2, Math.ceil(pages.length / 2));
  return new Set([...counts].filter(([, n]) => n >= minimum).map(([key]) => key));
}

/** Pieces grouped into lines (top to bottom), pieces of a line left to right, spaces where there is a gap. */
function linesOf(pieces: TextPiece[]): Line[] {
  const sorted = [...pieces].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Line[] = [];
  let current: TextPiece[] = [];
  const flush = () => {
    if (current.length === 0) return;
    current.sort((a, b) => a.x - b.x);
    let text = '';
    let right = -Infinity;
    for (const piece of current) {
      const gap = piece.x - right;
      if (text && gap > piece.height * 0.15 && !/\s$/.test(text) && !/^\s/.test(piece.str)) text += ' ';
      text += piece.str;
      right = Math.max(right, piece.x + piece.width);
    }
    const first = current[0]!;
    if (text.trim()) {
      const height = Math.max(...current.map((p) => p.height));
      lines.push({ text: text.trim(), x: first.x, y: first.y, right, height });
    }
    current = [];
  };
  for (const piece of sorted) {
    const anchor = current[0];
    if (anchor && Math.abs(anchor.y - piece.y) > Math.max(2, Math.min(anchor.height, piece.height) * 0.5))
      flush();
    current.push(piece);
  }
  flush();
  return lines;
}

/** Lines as text, a blank line where a paragraph ends: a larger vertical gap or an indented first line. */
function blockText(lines: Line[]): string {
  const spacing =
    median(
      lines
        .slice(1)
        .map((line, i) => lines[i]!.y - line.y)
        .filter((d) => d > 0),
    ) ?? 0;
  const left = median(lines.map((l) => l.x)) ?? 0;
  const out: string[] = [];
  lines.forEach((line, i) => {
    const previous = lines[i - 1];
    if (previous) {
      const gap = previous.y - line.y;
      const indented = line.x - left > line.height * 1.2 && Math.abs(previous.x - left) < line.height * 0.5;
      if ((spacing > 0 && gap > spacing * 1.4) || gap < 0 || indented) out.push('');
    }
    out.push(line.text);
  });
  return out.join('\n');
}

/**
 * The page's text in reading order. A page is read as two columns when about a quarter or more of its
 * text lies wholly on each side of the middle and almost none spans it; what spans it comes first.
 */
function pageStreams(width: number, pieces: TextPiece[]): Line[][] {
  const middle = width / 2;
  const leftSide = pieces.filter((p) => p.x + p.width <= middle);
  const rightSide = pieces.filter((p) => p.x >= middle);
  const spanning = pieces.filter((p) => p.x < middle && p.x + p.width > middle);
  const chars = (list: TextPiece[]) => list.reduce((n, p) => n + p.str.length, 0);
  const total = chars(pieces);
  const twoColumns =
    total > 0 &&
    chars(leftSide) >= total * 0.25 &&
    chars(rightSide) >= total * 0.25 &&
    chars(spanning) <= total * 0.1;
  if (!twoColumns) return [linesOf(pieces)];
  return [linesOf(spanning), linesOf(leftSide), linesOf(rightSide)].filter((lines) => lines.length > 0);
}

/** Whether text flowing from `last` continues in the next column or page (no paragraph end between). */
function continues(last: Line | undefined, column: { left: number; right: number }): boolean {
  if (!last) return false;
  return !/[.:;!?]$/.test(last.text) && last.right >= column.left + 0.8 * (column.right - column.left);
}

export function layoutText(pages: PageContent[]): string {
  const spots = lineNumberSpots(pages);
  const running = runningKeys(pages);
  let out = '';
  let last: Line | undefined;
  let column = { left: 0, right: 0 };
  for (const page of pages) {
    const edges = new Set(edgePieces(page));
    const pieces = page.pieces.filter(
      (p) =>
        p.str.trim().length > 0 &&
        !(isLineNumber(p) && (spots.has(centreBucket(p)) || spots.has(rightBucket(p)))) &&
        !(edges.has(p) && running.has(runningKey(p))),
    );
    for (const lines of pageStreams(page.width, pieces)) {
      const text = blockText(lines);
      if (out) out += continues(last, column) ? '\n' : '\n\n';
      out += text;
      last = lines[lines.length - 1];
      column = { left: Math.min(...lines.map((l) => l.x)), right: Math.max(...lines.map((l) => l.right)) };
    }
  }
  return out;
}
