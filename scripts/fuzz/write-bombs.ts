/**
 * Writes the issue-10 bombs (test/support/bombs.ts) at full size into a folder, to reproduce them by hand:
 *   npx tsx scripts/fuzz/write-bombs.ts /tmp/bombs
 *   node out/cli.js parse /tmp/bombs/fan-out.pdf
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyParagraphsDocx,
  emptyParagraphsXml,
  fanOutPdf,
  hugeImageDocx,
  inflatingStreamPdf,
} from '../../test/support/bombs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npx tsx scripts/fuzz/write-bombs.ts <folder>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const bombs: [string, () => Uint8Array][] = [
  ['fan-out.pdf', () => fanOutPdf()],
  ['empty-paragraphs.docx', () => emptyParagraphsDocx()],
  ['huge-image.docx', () => hugeImageDocx()],
  ['empty-paragraphs.xml', () => emptyParagraphsXml()],
  ['inflating-stream.pdf', () => inflatingStreamPdf()],
];
for (const [name, make] of bombs) {
  const bytes = make();
  writeFileSync(join(dir, name), bytes);
  console.log(`${name}: ${(bytes.length / 1024).toFixed(1)} KB`);
}
