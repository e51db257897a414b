/**
 * Fusing the dense and the lexical side. Every method takes, per candidate, the cosine (dense) and the
 * normalised BM25 (lexical), either possibly missing, and returns one number to rank by. The methods were
 * compared on the PatentMatch dev set (`patent-passages eval`, docs/notes/issue-6.md); the product uses
 * the linear mix with the model folder's dense weight (`fusionForModel`).
 */

export type FusionMethod = 'minmax' | 'rrf' | 'linear';

export interface FusionOptions {
  method: FusionMethod;
  /** Weight of the dense side in [0, 1] (minmax, linear). */
  denseWeight: number;
  /** Reciprocal-rank constant (rrf). */
  rrfK: number;
}

/** The fusion of a model whose folder states no dense weight. */
export const DEFAULT_FUSION: FusionOptions = { method: 'linear', denseWeight: 0.2, rrfK: 60 };

/**
 * The product's fusion for a model: the linear mix with the dense weight its folder states
 * (`Embedder.hybridDenseWeight`), or `DEFAULT_FUSION`'s when it states none.
 */
export function fusionForModel(denseWeight: number | undefined): FusionOptions {
  return denseWeight === undefined ? DEFAULT_FUSION : { ...DEFAULT_FUSION, denseWeight };
}

/**
 * Returns the fused ranking score of each candidate. `dense[i]` is the cosine (NaN when the candidate
 * has no vector yet), `lexical[i]` the normalised BM25 (0 when no term matched).
 */
export function fuse(
  dense: Float64Array,
  lexical: Float64Array,
  options: FusionOptions,
  /** Written instead of a new array when given (as long as `dense`). */
  into?: Float64Array,
): Float64Array {
  const n = dense.length;
  const out = into ?? new Float64Array(n);
  const w = options.denseWeight;
  if (options.method === 'linear') {
    for (let i = 0; i < n; i++) out[i] = linearMix(dense[i] as number, lexical[i] as number, w);
    return out;
  }
  if (options.method === 'rrf') {
    const denseRank = ranks(dense);
    const lexicalRank = ranks(lexical.map((x) => (x > 0 ? x : NaN)));
    for (let i = 0; i < n; i++) {
      const d = denseRank[i] as number;
      const l = lexicalRank[i] as number;
      out[i] = (d > 0 ? w / (options.rrfK + d) : 0) + (l > 0 ? (1 - w) / (options.rrfK + l) : 0);
    }
    return out;
  }
  const scaledDense = minMax(dense);
  const scaledLexical = minMax(lexical);
  for (let i = 0; i < n; i++)
    out[i] = w * (scaledDense[i] as number) + (1 - w) * (scaledLexical[i] as number);
  return out;
}

/** The displayed hybrid score: w · max(0, cosine) + (1 − w) · normalised BM25, in [0, 1]. */
export function linearMix(dense: number, lexical: number, denseWeight: number): number {
  return denseWeight * (Number.isNaN(dense) ? 0 : Math.max(0, dense)) + (1 - denseWeight) * lexical;
}

/** Min-max scaling over the candidates that have a value; a missing (NaN) value scales to 0. */
function minMax(values: Float64Array): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const span = max - min;
  return values.map((value) => (Number.isNaN(value) ? 0 : span > 0 ? (value - min) / span : 1));
}

/** 1-based rank by descending value; 0 for a missing (NaN) or zero lexical value. */
function ranks(values: Float64Array): Int32Array {
  const order = [...values.keys()]
    .filter((i) => !Number.isNaN(values[i] as number))
    .sort((a, b) => (values[b] as number) - (values[a] as number));
  const result = new Int32Array(values.length);
  order.forEach((index, rank) => (result[index] = rank + 1));
  return result;
}
