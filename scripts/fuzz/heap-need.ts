/**
 * How much worker heap real documents need: parses every shared document and fixture in a document worker
 * started with each heap limit in turn (smallest first) and prints which limits read them all. The
 * worker's limit (DOCUMENT_WORKER_HEAP_MB in document-thread.ts) leaves headroom above the smallest that
 * does. Run: npx tsx scripts/fuzz/heap-need.ts [MB …]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DocumentError, DocumentParser } from '../../src/core/documents/index';
import { parsePatentXml } from '../../src/core/documents/patent-xml';
import { renderDocx, renderPdf, renderPdfTwoColumns } from '../fixtures/render-drafts';
import { loadSeeds, type Seed } from './mutations';

/**
 * The largest shared XML (US 8,926,509: 276 KB) rendered whole as DOCX and PDF, since the shared data holds
 * no large Word or PDF file: what a long real draft or publication asks of the heap.
 */
async function renderedLong(): Promise<Seed[]> {
  const path = resolve(__dirname, '../../../shared/data/uspto/US08926509.xml');
  const parsed = parsePatentXml(readFileSync(path, 'utf8'), path, 'utf-8');
  // The PDF's standard font encodes WinAnsi only: other characters (µ, Greek) become '?'.
  const winAnsi = (text: string) => text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
  const source = {
    ...parsed,
    claims: parsed.claims.map((c) => ({ ...c, text: winAnsi(c.text) })),
    paragraphs: parsed.paragraphs.map((p) => ({ ...p, text: winAnsi(p.text) })),
  };
  const all = source.paragraphs.length;
  return [
    { name: 'US08926509-whole.docx', format: 'docx', bytes: await renderDocx(source, all, 'heap-need') },
    { name: 'US08926509-whole.pdf', format: 'pdf', bytes: await renderPdf(source, all, 'heap-need') },
    {
      name: 'US08926509-whole-two-columns.pdf',
      format: 'pdf',
      bytes: await renderPdfTwoColumns(source, all, 'heap-need', {
        number: 'US 8,926,509 B2',
        date: 'Jan. 6, 2015',
      }),
    },
  ];
}

async function main(): Promise<void> {
  const limits = process.argv.slice(2).map(Number);
  const seeds = [...loadSeeds(), ...(await renderedLong())];
  for (const seed of seeds.slice(-3))
    console.log(`${seed.name}: ${(seed.bytes.length / 1024).toFixed(0)} KB`);
  for (const heapMb of limits.length ? limits : [24, 32, 48, 64, 96, 128]) {
    const parser = new DocumentParser(undefined, { heapMb });
    const failures: string[] = [];
    let parsed = 0;
    for (const seed of seeds) {
      try {
        await parser.parse(seed.bytes, seed.name, {});
        parsed++;
      } catch (error) {
        // Formats without a parser yet answer with a DocumentError of their own: not a heap question.
        if (error instanceof DocumentError && /memory|stopped|failed/.test(error.detail))
          failures.push(`${seed.name} (${error.detail})`);
      }
    }
    await parser.dispose();
    console.log(
      `heap ${heapMb} MB: ${parsed}/${seeds.length} parsed, ${failures.length} failed for memory` +
        (failures.length ? `: ${failures.join('; ')}` : ''),
    );
  }
}

void main();
