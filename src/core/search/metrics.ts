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
  queries: { text: string; relevant: Set<string> }[];
}

/**
 * Builds the task from PatentMatch-format JSON lines: corpus = distinct `text_b`, queries = distinct
 * claims with a label-1 row, relevant = their label-1 paragraphs. Throws with the line number on a bad
 * line.
 */
export function buildRetrievalTask(jsonl: string, file = 'pairs'): RetrievalTask {
  const passages: string[] = [];
  const passageId = new Map<string, string>();
  const queries = new Map<string, Set<string>>();
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
    } = (row ?? {}) as { text?: unknown; text_b?: unknown; label?: unknown };
    if (typeof text !== 'string' || typeof textB !== 'string') {
      throw new Error(`${file}:${index + 1}: needs string fields "text" and "text_b"`);
    }
    let id = passageId.get(textB);
    if (id === undefined) {
      id = String(passages.length);
      passages.push(textB);
      passageId.set(textB, id);
    }
    if (Number(label) === 1) {
      const set = queries.get(text) ?? new Set<string>();
      set.add(id);
      queries.set(text, set);
    }
  });
  return { passages, queries: [...queries].map(([text, relevant]) => ({ text, relevant })) };
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
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  iterations = 2000,
  seed = 42,
): { mean: number; low: number; high: number } {
  const n = Math.min(a.length, b.length);
  const differences = Array.from({ length: n }, (_, i) => (a[i] ?? 0) - (b[i] ?? 0));
  const mean = differences.reduce((s, x) => s + x, 0) / Math.max(1, n);
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: small, seeded, good enough for resampling indices.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const means: number[] = [];
  for (let r = 0; r < iterations; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)] ?? 0;
    means.push(sum / Math.max(1, n));
  }
  means.sort((x, y) => x - y);
  return {
    mean,
    low: means[Math.floor(0.025 * iterations)] ?? mean,
    high: means[Math.min(iterations - 1, Math.floor(0.975 * iterations))] ?? mean,
  };
}
