/**
 * Child process for the "killed mid-write" test: saves a sizeable store over and over until it is
 * killed, printing "saved <n>" after each complete save. Each round changes the content, so the file on
 * disk is always either an older or a newer complete version — never a mix — if writes are atomic.
 */
import { saveStore, type StoredDocument } from '../../../src/core/index/store';
import { VectorTable } from '../../../src/core/search/vector-table';

const path = process.argv[2];
if (!path) throw new Error('usage: store-writer-child <store path>');
const dims = 64;
const identity = { modelId: 'kill-test', dims, recipe: 'whole' };

async function main(): Promise<void> {
  for (let round = 0; ; round++) {
    const vectors = new VectorTable(dims);
    const documents: StoredDocument[] = [];
    for (let d = 0; d < 200; d++) {
      const paragraphs = [];
      for (let p = 0; p < 50; p++) {
        const hash = (round * 1_000_000 + d * 100 + p).toString(16).padStart(32, '0');
        const vector = new Float32Array(dims).map((_, i) => Math.sin(i + p + d + round));
        vectors.set(hash, [vector]);
        const range = {
          start: { line: p, character: 0 },
          end: { line: p, character: 10 },
          startOffset: p * 11,
          endOffset: p * 11 + 10,
        };
        paragraphs.push({
          id: `p${p}`,
          text: `round ${round} document ${d} paragraph ${p} `.repeat(8),
          range,
          hash,
        });
      }
      documents.push({
        uri: `/docs/${d}.xml`,
        size: 1000 + round,
        mtimeMs: round,
        format: 'uspto-xml',
        label: `D${d}`,
        paragraphs,
      });
    }
    await saveStore(path as string, { identity, documents, vectors });
    process.stdout.write(`saved ${round}\n`);
  }
}
void main();
