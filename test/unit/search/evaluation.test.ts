import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { crossValidate, groupedFolds } from '../../../src/core/search/cross-validation';
import {
  buildRetrievalTask,
  pairedBootstrap,
  randomOrderExpectation,
  retrievalMetrics,
  seededRandom,
} from '../../../src/core/search/metrics';
import { SHARED_DATA } from '../index/helpers';

/** 100 applications of 1–8 claims each, in a shuffled order. */
function applications(): string[] {
  const random = seededRandom(7);
  const groups: string[] = [];
  for (let a = 0; a < 100; a++) for (let c = 0; c < 1 + (a % 8); c++) groups.push(`EP${a}`);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [groups[i], groups[j]] = [groups[j] as string, groups[i] as string];
  }
  return groups;
}

test('grouped folds: an application never in two folds, five folds of similar size, the same for a seed', () => {
  const groups = applications();
  const folds = groupedFolds(groups, { folds: 5, seed: 3 });
  const foldOf = new Map<string, number>();
  groups.forEach((group, q) => {
    const fold = folds[q] as number;
    assert.equal(foldOf.get(group) ?? fold, fold, `${group} split across folds`);
    foldOf.set(group, fold);
  });
  const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
  assert.ok(Math.min(...sizes) > 0.8 * (groups.length / 5), `fold sizes ${sizes.join(', ')}`);
  assert.deepEqual(groupedFolds(groups, { folds: 5, seed: 3 }), folds, 'deterministic for a seed');
  assert.notDeepEqual(groupedFolds(groups, { folds: 5, seed: 4 }), folds, 'another seed, other folds');
  // Fewer groups than folds: one fold per group.
  assert.deepEqual(new Set(groupedFolds(['a', 'b', 'a'], { folds: 5 })).size, 2);
});

test('cross-validation: a setting that only fits noise gains nothing out of fold; a real gain survives', () => {
  const groups = applications();
  const random = seededRandom(11);
  // 20 settings whose per-query hits are independent coin flips with the same rate 0.3: any difference
  // between them is noise. The best of them in-sample looks better than the rest; out of fold it must
  // not. Averaged over 30 draws so that one lucky draw cannot decide the test.
  const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const inSampleGains: number[] = [];
  const outOfFoldGains: number[] = [];
  let noise: number[][] = [];
  let result = crossValidate(groups, [[0]], (c) => c, mean);
  for (let draw = 0; draw < 30; draw++) {
    noise = Array.from({ length: 20 }, () => groups.map(() => (random() < 0.3 ? 1 : 0)));
    const overall = mean(noise.map(mean));
    result = crossValidate(groups, noise, (c) => c, mean, { folds: 5, seed: 1 });
    inSampleGains.push(Math.max(...noise.map(mean)) - overall);
    outOfFoldGains.push(mean(result.outOfFold) - overall);
  }
  assert.ok(mean(inSampleGains) > 0.02, `in-sample best gains ${mean(inSampleGains)} over the mean`);
  assert.ok(Math.abs(mean(outOfFoldGains)) < 0.01, `out of fold gains ${mean(outOfFoldGains)}`);
  assert.equal(result.folds.length, 5);
  assert.deepEqual(
    result.folds.flatMap((f) => f.queries).sort((a, b) => a - b),
    groups.map((_, q) => q),
    'every query held out exactly once',
  );
  // A setting that is really better (rate 0.5) is chosen in every fold and keeps its gain out of fold.
  const real = groups.map(() => (random() < 0.5 ? 1 : 0));
  const withReal = crossValidate(groups, [...noise, real], (c) => c, mean, { folds: 5, seed: 1 });
  assert.deepEqual(
    withReal.folds.map((f) => f.chosenIndex),
    [20, 20, 20, 20, 20],
  );
  assert.equal(mean(withReal.outOfFold), mean(real));
  // On all queries the same rule picks the real gain; among the noise, the in-sample best (ties: the earlier).
  assert.equal(withReal.chosenOnAll, real);
  const best = Math.max(...noise.map(mean));
  assert.equal(
    result.chosenOnAll,
    noise.find((c) => mean(c) === best),
  );
});

test('random-order expectation equals enumeration of every placement of the relevant candidates', () => {
  for (let n = 1; n <= 13; n++) {
    for (let r = 1; r <= Math.min(n, 4); r++) {
      // Every r-subset of positions is equally likely under a random order; the metrics depend only on it.
      const rankings: string[][] = [];
      const relevant: Set<string>[] = [];
      const choose = (start: number, picked: number[]): void => {
        if (picked.length === r) {
          rankings.push(Array.from({ length: n }, (_, i) => (picked.includes(i) ? `r${i}` : `x${i}`)));
          relevant.push(new Set(picked.map((i) => `r${i}`)));
          return;
        }
        for (let i = start; i < n; i++) choose(i + 1, [...picked, i]);
      };
      choose(0, []);
      const { queries: _, ...enumerated } = retrievalMetrics(rankings, relevant);
      const expected = randomOrderExpectation(n, r);
      for (const key of Object.keys(enumerated) as (keyof typeof enumerated)[])
        assert.ok(
          Math.abs(enumerated[key] - expected[key]) < 1e-12,
          `n ${n}, r ${r}, ${key}: ${expected[key]} vs ${enumerated[key]}`,
        );
    }
  }
  // acc@k = 1 − C(n−r, k)/C(n, k): n 20, r 2, k 10: 1 − C(18,10)/C(20,10) = 1 − 43758/184756.
  assert.ok(Math.abs(randomOrderExpectation(20, 2)['accuracy@10'] - (1 - 43758 / 184756)) < 1e-12);
});

test('clustered paired bootstrap: the interval holds the estimate, is seeded, and is wider than per query', () => {
  const random = seededRandom(5);
  // 40 applications of 6 claims each; an application's claims share one effect (correlated).
  const clusters: string[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let g = 0; g < 40; g++) {
    const effect = random() < 0.5 ? 0.3 : -0.2;
    for (let c = 0; c < 6; c++) {
      clusters.push(`EP${g}`);
      const base = random() * 0.5;
      b.push(base);
      a.push(Math.min(1, Math.max(0, base + effect + (random() - 0.5) * 0.05)));
    }
  }
  const clustered = pairedBootstrap(a, b, 2000, 42, clusters);
  const perQuery = pairedBootstrap(a, b, 2000, 42);
  assert.ok(clustered.low <= clustered.mean && clustered.mean <= clustered.high);
  assert.equal(clustered.mean, perQuery.mean);
  assert.deepEqual(pairedBootstrap(a, b, 2000, 42, clusters), clustered, 'same seed, same interval');
  assert.notDeepEqual(pairedBootstrap(a, b, 2000, 43, clusters), clustered, 'another seed, another draw');
  assert.ok(
    clustered.high - clustered.low > 1.5 * (perQuery.high - perQuery.low),
    `clustered ${clustered.low}..${clustered.high}, per query ${perQuery.low}..${perQuery.high}`,
  );
});

test('the dev task keeps documents and applications: 51 applications, relevant paragraphs among their own', async () => {
  const text = await readFile(join(SHARED_DATA, 'patentmatch', 'dev.jsonl'), 'utf8');
  const task = buildRetrievalTask(text);
  assert.equal(task.passages.length, 580);
  assert.equal(task.queries.length, 503);
  assert.equal(task.documents.length, 580);
  assert.ok(task.documents.every((d) => /^EP\d+/.test(d) || d.length > 0));
  assert.equal(new Set(task.queries.map((q) => q.application)).size, 51);
  for (const q of task.queries) {
    const own = task.applicationPassages.get(q.application);
    assert.ok(own && [...q.relevant].every((id) => own.has(id)), q.text.slice(0, 60));
  }
  // The first line of dev.jsonl: claim of EP3133675A1, paragraph of EP2660896.
  const first = JSON.parse(text.split('\n')[0] as string) as { text_b: string; cited_document_id: string };
  assert.equal(task.documents[task.passages.indexOf(first.text_b)], first.cited_document_id);
});
