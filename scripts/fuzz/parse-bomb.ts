/**
 * Parses one file through the public path (the document worker with its default deadline and heap limit)
 * and prints the outcome and the time: with scripts/fuzz/write-bombs.ts, the "after" of each bomb.
 *   npx tsx scripts/fuzz/parse-bomb.ts /tmp/bombs/empty-paragraphs.xml
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from '../../src/core/documents/index';

async function main(): Promise<void> {
  for (const file of process.argv.slice(2)) {
    const started = performance.now();
    let outcome: string;
    try {
      const document = await parseDocument(readFileSync(file), file);
      outcome = `parsed: ${document.claims.length} claims, ${document.paragraphs.length} paragraphs`;
    } catch (error) {
      outcome = String((error as Error).message);
    }
    console.log(`${((performance.now() - started) / 1000).toFixed(1)} s: ${outcome}`);
  }
}

void main();
