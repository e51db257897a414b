/**
 * Retrieval metrics of the PatentMatch task (../shared/data/README.md): accuracy@k = share of queries
 * with a relevant paragraph in the top k; MRR@10 = mean of 1/rank of the first relevant paragraph (0 when
 * it is below 10); nDCG@10 with binary relevance, ideal DCG from the number of relevant paragraphs.
 */

export interface RetrievalMetrics {
  queries: number;
  'accuracy@1': number;
  'accuracy@3': number;
  'accuracy@5': number;
  'accuracy@10': number;
  'mrr@10': number;
  'ndcg@10': number;
}

/** `rankings[q]` lists passage ids best first; `relevant[q]` the relevant ids of that query. */
export function retrievalMetrics(
  rankings: readonly (readonly string[])[],
  relevant: readonly ReadonlySet<string>[],
): RetrievalMetrics {
  const n = rankings.length;
  const sums = { a1: 0, a3: 0, a5: 0, a10: 0, mrr: 0, ndcg: 0 };
  rankings.forEach((ranking, q) => {
    const wanted = relevant[q] ?? new Set<string>();
    const top = ranking.slice(0, 10);
    const first = top.findIndex((id) => wanted.has(id));
    if (first >= 0) {
      const rank = first + 1;
      if (rank <= 1) sums.a1++;
      if (rank <= 3) sums.a3++;
      if (rank <= 5) sums.a5++;
      sums.a10++;
      sums.mrr += 1 / rank;
    }
    let dcg = 0;
    top.forEach((id, i) => {
      if (wanted.has(id)) dcg += 1 / Math.log2(i + 2);
    });
    let ideal = 0;
    for (let i = 0; i < Math.min(10, wanted.size); i++) ideal += 1 / Math.log2(i + 2);
    if (ideal > 0) sums.ndcg += dcg / ideal;
  });
  const mean = (x: number): number => (n > 0 ? x / n : 0);
  return {
    queries: n,
    'accuracy@1': mean(sums.a1),
    'accuracy@3': mean(sums.a3),
    'accuracy@5': mean(sums.a5),
    'accuracy@10': mean(sums.a10),
    'mrr@10': mean(sums.mrr),
    'ndcg@10': mean(sums.ndcg),
  };
}

/** One query of the task: a claim and the ids of its relevant paragraphs. */
export interface RetrievalTask {
  /** Distinct paragraphs, id = index as a string. */
  passages: string[];
  /** Per passage, its document (`cited_document_id`; '' when the line has none). */
  documents: string[];
  queries: {
    text: string;
    relevant: Set<string>;
    /** The claim's application (`patent_application_id`; '' when absent): the unit of CV and bootstrap. */
    application: string;
  }[];
  /** Per application, the ids of every paragraph cited for it (label 0 or 1). */
  applicationPassages: Map<string, Set<string>>;
}

/**
 * Builds the task from PatentMatch-format JSON lines: corpus = distinct `text_b`, queries = distinct
 * claims with a label-1 row, relevant = their label-1 paragraphs. Throws with the line number on a bad
 * line.
 */
export function buildRetrievalTask(jsonl: string, file = 'pairs'): RetrievalTask {
  const passages: string[] = [];
  const documents: string[] = [];
  const passageId = new Map<string, string>();
  const queries = new Map<string, { relevant: Set<string>; application: string }>();
  const applicationPassages = new Map<string, Set<string>>();
  jsonl.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${index + 1}: not a JSON object`);
    }
    const {
      text,
      text_b: textB,
      label,
      patent_application_id: applicationField,
      cited_document_id: documentField,
    } = (row ?? {}) as {
      text?: unknown;
      text_b?: unknown;
      label?: unknown;
      patent_application_id?: unknown;
      cited_document_id?: unknown;
    };
    if (typeof text !== 'string' || typeof textB !== 'string') {
      throw new Error(`${file}:${index + 1}: needs string fields "text" and "text_b"`);
    }
    let id = passageId.get(textB);
    if (id === undefined) {
      id = String(passages.length);
      passages.push(textB);
      documents.push(documentField === undefined ? '' : String(documentField));
      passageId.set(textB, id);
    }
    const application = applicationField === undefined ? '' : String(applicationField);
    const cited = applicationPassages.get(application) ?? new Set<string>();
    cited.add(id);
    applicationPassages.set(application, cited);
    if (Number(label) === 1) {
      // A claim keeps the application of its first label-1 line (in the PatentMatch data each claim
      // text belongs to one application).
      const query = queries.get(text) ?? { relevant: new Set<string>(), application };
      query.relevant.add(id);
      queries.set(text, query);
    }
  });
  return {
    passages,
    documents,
    queries: [...queries].map(([text, q]) => ({ text, relevant: q.relevant, application: q.application })),
    applicationPassages,
  };
}

/** Per query: 1/rank of the first relevant passage within the top 10, else 0 (the terms of MRR@10). */
export function reciprocalRanks(
  rankings: readonly (readonly string[])[],
  relevant: readonly ReadonlySet<string>[],
): number[] {
  return rankings.map((ranking, q) => {
    const first = ranking.slice(0, 10).findIndex((id) => relevant[q]?.has(id));
    return first >= 0 ? 1 / (first + 1) : 0;
  });
}

/**
 * Paired bootstrap of the mean difference `a − b` over queries: the mean and a 95 % interval
 * (percentiles of `iterations` resamples, seeded so a run is reproducible). An interval above 0 means
 * `a` is better than `b` beyond the luck of which queries the set happens to hold.
 *
 * With `clusters` (one label per query, e.g. its application) whole clusters are resampled, not single
 * queries: claims of one application share their cited paragraphs, so they succeed or fail together,
 * and resampling them one by one would make the interval too narrow.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  iterations = 2000,
  seed = 42,
  clusters?: readonly string[],
): { mean: number; low: number; high: number } {
  const n = Math.min(a.length, b.length);
  const differences = Array.from({ length: n }, (_, i) => (a[i] ?? 0) - (b[i] ?? 0));
  const mean = differences.reduce((s, x) => s + x, 0) / Math.max(1, n);
  // Per resampling unit: the sum of its differences and its number of queries.
  const units: { sum: number; count: number }[] = [];
  if (clusters) {
    const byCluster = new Map<string, { sum: number; count: number }>();
    differences.forEach((d, i) => {
      const key = clusters[i] ?? '';
      const unit = byCluster.get(key) ?? { sum: 0, count: 0 };
      unit.sum += d;
      unit.count++;
      byCluster.set(key, unit);
    });
    units.push(...byCluster.values());
  } else units.push(...differences.map((d) => ({ sum: d, count: 1 })));
  const random = seededRandom(seed);
  const means: number[] = [];
  for (let r = 0; r < iterations; r++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < units.length; i++) {
      const unit = units[Math.floor(random() * units.length)];
      sum += unit?.sum ?? 0;
      count += unit?.count ?? 0;
    }
    means.push(sum / Math.max(1, count));
  }
  means.sort((x, y) => x - y);
  return {
    mean,
    low: means[Math.floor(0.025 * iterations)] ?? mean,
    high: means[Math.min(iterations - 1, Math.floor(0.975 * iterations))] ?? mean,
  };
}

/** xorshift32 in [0, 1): small, seeded, good enough for resampling and fold assignment. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** Expected metrics of one query when its `n` candidates are in random order and `r` are relevant. */
export function randomOrderExpectation(n: number, r: number): Omit<RetrievalMetrics, 'queries'> {
  if (n <= 0 || r <= 0)
    return { 'accuracy@1': 0, 'accuracy@3': 0, 'accuracy@5': 0, 'accuracy@10': 0, 'mrr@10': 0, 'ndcg@10': 0 };
  // P(no relevant in the top k) = C(n−r, k) / C(n, k) = Π_{i<k} (n−r−i)/(n−i).
  const noneInTop = (k: number): number => {
    let p = 1;
    for (let i = 0; i < Math.min(k, n); i++) p *= Math.max(0, n - r - i) / (n - i);
    return p;
  };
  let mrr = 0;
  for (let rank = 1; rank <= Math.min(10, n); rank++) mrr += (noneInTop(rank - 1) - noneInTop(rank)) / rank;
  // Each position holds a relevant candidate with probability r/n (linearity of expectation).
  let dcg = 0;
  let ideal = 0;
  for (let i = 0; i < Math.min(10, n); i++) dcg += r / n / Math.log2(i + 2);
  for (let i = 0; i < Math.min(10, r); i++) ideal += 1 / Math.log2(i + 2);
  return {
    'accuracy@1': 1 - noneInTop(1),
    'accuracy@3': 1 - noneInTop(3),
    'accuracy@5': 1 - noneInTop(5),
    'accuracy@10': 1 - noneInTop(10),
    'mrr@10': mrr,
    'ndcg@10': dcg / ideal,
  };
}

/** Per query: 1 when a relevant passage is within the top 10, else 0 (the terms of accuracy@10). */
export function hitsAt10(
  rankings: readonly (readonly string[])[],
  relevant: readonly ReadonlySet<string>[],
): number[] {
  return reciprocalRanks(rankings, relevant).map((rr) => (rr > 0 ? 1 : 0));
}
