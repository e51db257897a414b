/**
 * What the index's bulk check costs on a large single document: `countDocuments` (one scan, blocking)
 * and `holdsSeveralDocuments` (the same scan in slices that yield), beside the scan with line counting on,
 * on a 45 MB USPTO document (the shared
 * US 8,926,509 with 45 MB of text appended inside it), three times each.
 * Run: npx tsx scripts/bench/bulk-detect.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countDocuments, holdsSeveralDocuments } from '../../src/core/documents/bulk';
import { DocumentSplitter } from '../../src/core/documents/bulk-split';

/** The same scan with line/character counting on (what reading a bulk file does; the check leaves it off). */
function countWithPositions(bytes: Uint8Array): number {
  const splitter = new DocumentSplitter('xml', 0);
  let count = 0;
  for (let start = 0; start < bytes.length; start += 256 * 1024) {
    count += splitter.push(bytes.subarray(start, start + 256 * 1024)).length;
  }
  return count + splitter.end().length;
}

async function main(): Promise<void> {
  const source = readFileSync(join(__dirname, '../../../shared/data/uspto/US08926509.xml'), 'utf8');
  const at = source.indexOf('</description>');
  const big = Buffer.from(source.slice(0, at) + `<p>${'x'.repeat(45 * 1024 * 1024)}</p>` + source.slice(at));
  const mb = (big.length / 1024 / 1024).toFixed(1);
  for (let round = 0; round < 3; round++) {
    let started = performance.now();
    const count = countDocuments(big, 2);
    const blocking = performance.now() - started;
    started = performance.now();
    const several = await holdsSeveralDocuments(big);
    const sliced = performance.now() - started;
    started = performance.now();
    const counted = countWithPositions(big);
    const withPositions = performance.now() - started;
    console.log(
      `${mb} MB single document: countDocuments ${count} in ${blocking.toFixed(1)} ms; ` +
        `holdsSeveralDocuments ${several} in ${sliced.toFixed(1)} ms (sliced); ` +
        `with position counting ${counted} in ${withPositions.toFixed(1)} ms`,
    );
  }
}

void main();
