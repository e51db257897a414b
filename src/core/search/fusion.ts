/**
 * Fusing the dense and the lexical side. Every method takes, per candidate, the cosine (dense) and the
 * normalised BM25 (lexical), either possibly missing, and returns one number to rank by. The methods were
 * compared on the PatentMatch dev set (`patent-passages eval`, docs/notes/issue-6.md); the product uses
 * `DEFAULT_FUSION`.
 */

export type FusionMethod = 'minmax' | 'rrf' | 'linear';

export interface FusionOptions {
  method: FusionMethod;
  /** Weight of the dense side in [0, 1] (minmax, linear). */
  denseWeight: number;
  /** Reciprocal-rank constant (rrf). */
  rrfK: number;
}

export const DEFAULT_FUSION: FusionOptions = { method: 'minmax', denseWeight: 0.5, rrfK: 60 };

export interface FusionCandidate {
  dense?: number;
  lexical?: number;
}

/** Returns the fused ranking score of each candidate, same order as the input. */
export function fuse(candidates: readonly FusionCandidate[], options: FusionOptions): Float64Array {
  const out = new Float64Array(candidates.length);
  const w = options.denseWeight;
  if (options.method === 'linear') {
    candidates.forEach((c, i) => (out[i] = w * Math.max(0, c.dense ?? 0) + (1 - w) * (c.lexical ?? 0)));
    return out;
  }
  if (options.method === 'rrf') {
    const denseRank = ranks(candidates.map((c) => c.dense));
    const lexicalRank = ranks(candidates.map((c) => c.lexical));
    candidates.forEach((_, i) => {
      const d = denseRank[i];
      const l = lexicalRank[i];
      out[i] =
        (d !== undefined ? w / (options.rrfK + d) : 0) + (l !== undefined ? (1 - w) / (options.rrfK + l) : 0);
    });
    return out;
  }
  const dense = minMax(candidates.map((c) => c.dense));
  const lexical = minMax(candidates.map((c) => c.lexical));
  candidates.forEach((_, i) => (out[i] = w * (dense[i] ?? 0) + (1 - w) * (lexical[i] ?? 0)));
  return out;
}

/** Min-max scaling over the candidates that have a value; a missing value scales to 0. */
function minMax(values: readonly (number | undefined)[]): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value === undefined) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const span = max - min;
  return values.map((value) => (value === undefined ? 0 : span > 0 ? (value - min) / span : 1));
}

/** 1-based rank by descending value; undefined stays undefined. */
function ranks(values: readonly (number | undefined)[]): (number | undefined)[] {
  const order = values
    .map((value, index) => ({ value, index }))
    .filter((e): e is { value: number; index: number } => e.value !== undefined)
    .sort((a, b) => b.value - a.value);
  const result: (number | undefined)[] = new Array<number | undefined>(values.length).fill(undefined);
  order.forEach((e, rank) => (result[e.index] = rank + 1));
  return result;
}
