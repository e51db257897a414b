import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from '../../../src/core/documents';
import { Analyzer, BASELINE_ANALYZER, foldSuffix } from '../../../src/core/search/analyzer';
import { Bm25Index } from '../../../src/core/search/bm25';
import { claimQueryText, splitClaimElements } from '../../../src/core/search/claim-query';
import { fuse } from '../../../src/core/search/fusion';
import { buildRetrievalTask, retrievalMetrics } from '../../../src/core/search/metrics';
import { VectorTable } from '../../../src/core/search/vector-table';
import { SHARED_DATA } from '../index/helpers';

test('BM25 on a hand-checkable corpus', () => {
  const index = new Bm25Index();
  index.add(0, ['apple', 'banana']);
  index.add(1, ['apple', 'apple', 'cherry']);
  index.add(2, ['cherry']);
  // idf(banana) = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(8/3); avgdl = 2, so doc 0 (length 2) has the
  // neutral length norm and tf 1 gives tf·(k1+1)/(tf+k1) = 1.
  const [hit] = index.search(['banana']);
  assert.equal(hit?.slot, 0);
  assert.ok(Math.abs((hit?.score ?? 0) - Math.log(8 / 3)) < 1e-12);
  assert.ok(Math.abs((hit?.normalized ?? 0) - 1 / 2.2) < 1e-12, 'normalised by the upper bound idf·(k1+1)');
  // Removing a document updates document frequencies exactly.
  index.remove(1, ['apple', 'apple', 'cherry']);
  assert.ok(Math.abs(index.idf('cherry') - Math.log(1 + 1.5 / 1.5)) < 1e-12);
  assert.deepEqual(
    index.search(['apple']).map((h) => h.slot),
    [0],
  );
  // A reused slot does not resurrect the old postings.
  index.add(1, ['durian']);
  assert.deepEqual(
    index
      .search(['apple', 'cherry'])
      .map((h) => h.slot)
      .sort(),
    [0, 2],
  );
});

test('the analyzer: baseline drops stop words and numbers; product also folds suffixes and boilerplate', () => {
  const baseline = new Analyzer(BASELINE_ANALYZER);
  assert.deepEqual(baseline.terms('The 2 Fasteners of claim 1, wherein said body102'), [
    'fasteners',
    'claim',
    'wherein',
    'said',
    'body102',
  ]);
  const product = new Analyzer();
  assert.deepEqual(product.terms('The 2 Fasteners of claim 1, wherein said body102'), ['fastener', 'body']);
  assert.equal(foldSuffix('batteries'), 'battery');
  assert.equal(foldSuffix('stopped'), 'stop');
  assert.equal(foldSuffix('pressing'), 'press');
  assert.equal(foldSuffix('glass'), 'glass');
});

test('metrics on a hand-checkable case', () => {
  const m = retrievalMetrics(
    [
      ['a', 'b', 'c'],
      ['x', 'y'],
    ],
    [new Set(['b']), new Set(['z'])],
  );
  assert.equal(m['accuracy@1'], 0);
  assert.equal(m['accuracy@3'], 0.5);
  assert.equal(m['accuracy@10'], 0.5);
  assert.equal(m['mrr@10'], 0.25);
  assert.ok(Math.abs(m['ndcg@10'] - 0.5 / Math.log2(3)) < 1e-12);
});

test('the retrieval task from PatentMatch lines matches the data README (580 paragraphs, 503 claims)', async () => {
  const text = await readFile(join(SHARED_DATA, 'patentmatch/dev.jsonl'), 'utf8');
  const task = buildRetrievalTask(text);
  assert.equal(task.passages.length, 580);
  assert.equal(task.queries.length, 503);
  assert.throws(() => buildRetrievalTask('{"text": 1}\n', 'bad.jsonl'), /bad\.jsonl:1/);
});

test('fusion: min-max mix, reciprocal rank, linear', () => {
  const dense = Float64Array.from([0.9, 0.5, 0.1]);
  const lexical = Float64Array.from([0, 0.4, 0.2]);
  const minmax = fuse(dense, lexical, { method: 'minmax', denseWeight: 0.5, rrfK: 60 });
  assert.deepEqual(
    [...minmax].map((x) => Number(x.toFixed(3))),
    [0.5, 0.75, 0.25],
  );
  const rrf = fuse(dense, lexical, { method: 'rrf', denseWeight: 0.5, rrfK: 60 });
  // Candidate 0 has no lexical match (0): only its dense rank counts.
  assert.ok((rrf[1] ?? 0) > (rrf[2] ?? 0) && (rrf[2] ?? 0) > (rrf[0] ?? 0));
  const linear = fuse(dense, lexical, { method: 'linear', denseWeight: 0.5, rrfK: 60 });
  assert.deepEqual(
    [...linear].map((x) => Number(x.toFixed(3))),
    [0.45, 0.45, 0.15],
  );
});

test('int8 vectors: cosine within 0.01 of float32 on unit vectors', () => {
  const table = new VectorTable(512);
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const unit = (): Float32Array => {
    const v = Float32Array.from({ length: 512 }, random);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const query = unit();
  for (let i = 0; i < 50; i++) {
    const v = unit();
    table.set(`h${i}`, [v]);
    const exact = v.reduce((s, x, d) => s + x * (query[d] ?? 0), 0);
    assert.ok(Math.abs((table.score(query, `h${i}`) ?? 9) - exact) < 0.01);
  }
  table.delete('h3');
  assert.equal(table.has('h3'), false);
  assert.equal(table.entryCount, 49);
});

test('a dependent claim with its parents; claim elements', async () => {
  const path = join(SHARED_DATA, 'uspto/US08926509.xml');
  const document = await parseDocument(await readFile(path), path);
  const dependent = document.claims.find((c) => c.dependsOn.length > 0);
  assert.ok(dependent);
  const parent = document.claims.find((c) => c.number === dependent.dependsOn[0]);
  assert.ok(parent);
  const alone = claimQueryText(document, dependent.number);
  const withParents = claimQueryText(document, dependent.number, { withParents: true });
  assert.equal(alone, dependent.matchText);
  assert.ok(withParents?.startsWith(parent.matchText.slice(0, 40)));
  assert.ok(withParents?.endsWith(dependent.matchText));
  assert.equal(claimQueryText(document, 9999), undefined);

  const independent = document.claims.find((c) => c.dependsOn.length === 0 && c.text.includes(';'));
  assert.ok(independent);
  const split = splitClaimElements(independent.text);
  assert.ok(split.elements.length >= 2, JSON.stringify(split));
  assert.ok(independent.text.startsWith(split.preamble));
  assert.deepEqual(
    splitClaimElements('A widget comprising: a base; a lid hinged to the base; and a latch.'),
    {
      preamble: 'A widget',
      elements: ['a base', 'a lid hinged to the base', 'a latch'],
    },
  );
});

test('paired bootstrap: no difference gives a zero interval, a consistent gain an interval above zero', async () => {
  const { pairedBootstrap } = await import('../../../src/core/search/metrics');
  const same = pairedBootstrap([0.5, 1, 0, 0.25], [0.5, 1, 0, 0.25]);
  assert.deepEqual(same, { mean: 0, low: 0, high: 0 });
  const better = pairedBootstrap(
    Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0.5)),
    Array.from({ length: 100 }, () => 0.5),
  );
  assert.ok(Math.abs(better.mean - 0.125) < 1e-12);
  assert.ok(better.low > 0 && better.high <= 0.5 && better.low <= better.mean && better.mean <= better.high);
});
