/**
 * Reading order from positioned text pieces, as pdfjs gives them. The pieces are built here (a PDF page
 * reduced to what the layout code sees); the PDF fixtures test the same code through pdfjs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutText, type PageContent, type TextPiece } from '../../../src/core/documents/pdf-layout';

const SIZE = 10;
const LEADING = 12;
const piece = (str: string, x: number, y: number): TextPiece => ({
  str,
  x,
  y,
  width: str.length * 5,
  height: SIZE,
});

/** A single-column page as EP publications print it: line numbers right-aligned in the left margin. */
function epPage(lines: { text: string; indent?: boolean }[], pageNumber: number): PageContent {
  const pieces: TextPiece[] = [piece(`EP 3 782 854 A1`, 250, 780), piece(String(pageNumber), 300, 40)];
  lines.forEach((line, i) => {
    const y = 740 - i * LEADING;
    pieces.push(piece(line.text, line.indent ? 80 : 60, y));
    if ((i + 1) % 5 === 0) {
      const label = String(i + 1);
      pieces.push({ ...piece(label, 45 - label.length * 5, y), width: label.length * 5 });
    }
  });
  return { width: 600, pieces };
}

describe('PDF reading order', () => {
  it('drops margin line numbers and running headers, breaks paragraphs at first-line indents', () => {
    const words = (n: number) => Array.from({ length: 12 }, (_, i) => `word${n}x${i}`).join(' ');
    const page1 = epPage(
      [
        { text: `[0001] ${words(1)}`, indent: true },
        ...Array.from({ length: 6 }, (_, i) => ({ text: words(10 + i) })),
        { text: `[0002] ${words(2)}`, indent: true },
        { text: words(3) },
        { text: words(4) },
      ],
      1,
    );
    const page2 = epPage(
      [
        { text: `${words(5)}.` },
        { text: 'Unnumbered paragraph starts here', indent: true },
        { text: 'and ends here.' },
        ...Array.from({ length: 4 }, (_, i) => ({ text: words(20 + i) })),
      ],
      2,
    );
    const text = layoutText([page1, page2]);
    assert.doesNotMatch(text, /EP 3 782 854/, 'running header dropped');
    assert.doesNotMatch(text, /^\s*\d+\s*$/m, 'page numbers dropped');
    assert.doesNotMatch(text, /\b(?:5|10) word/, 'line numbers dropped');
    const blocks = text.split(/\n\s*\n/).map((b) => b.replace(/\s+/g, ' ').trim());
    assert.ok(blocks[0]!.startsWith('[0001] word1x0'));
    assert.ok(blocks[1]!.startsWith('[0002] word2x0'));
    // The paragraph runs on from page 1 to page 2 (its last line on page 1 is full and has no full stop).
    assert.ok(blocks[1]!.includes('word4x11 word5x0'), blocks[1]);
    assert.ok(blocks[2]!.startsWith('Unnumbered paragraph starts here and ends here.'));
  });

  it('reads a two-column page left column first, keeping a full-width title on top', () => {
    const pieces: TextPiece[] = [piece('A TITLE ACROSS THE WHOLE PAGE WIDTH FOR THIS TEST', 150, 760)];
    for (let i = 0; i < 20; i++) {
      pieces.push(piece(`left line ${i} with some words`, 50, 740 - i * LEADING));
      pieces.push(piece(`right line ${i} with some words`, 330, 740 - i * LEADING));
    }
    const lines = layoutText([{ width: 612, pieces }])
      .split('\n')
      .filter((l) => l.trim());
    assert.equal(lines[0], 'A TITLE ACROSS THE WHOLE PAGE WIDTH FOR THIS TEST');
    assert.equal(lines[1], 'left line 0 with some words');
    assert.equal(lines[20], 'left line 19 with some words');
    assert.equal(lines[21], 'right line 0 with some words');
  });
});
