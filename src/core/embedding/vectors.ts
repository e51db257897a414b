/** Pooling, Matryoshka truncation, normalisation and window combination: plain arithmetic on Float32Arrays. */
import type { PoolingMode } from './model-folder';

/**
 * Pools one row of a `[batch, seq, hidden]` output. Rows are right-padded, so the row's first `length`
 * positions are its tokens (special tokens included, as sentence-transformers pools them).
 */
export function poolRow(
  states: Float32Array,
  row: number,
  seq: number,
  hidden: number,
  length: number,
  mode: PoolingMode,
): Float32Array {
  const base = row * seq * hidden;
  const out = new Float32Array(hidden);
  switch (mode) {
    case 'cls':
      out.set(states.subarray(base, base + hidden));
      return out;
    case 'last-token': {
      const at = base + (length - 1) * hidden;
      out.set(states.subarray(at, at + hidden));
      return out;
    }
    case 'max': {
      out.fill(-Infinity);
      for (let t = 0; t < length; t++) {
        const at = base + t * hidden;
        for (let h = 0; h < hidden; h++) {
          const v = states[at + h] as number;
          if (v > (out[h] as number)) out[h] = v;
        }
      }
      return out;
    }
    case 'mean':
    case 'mean-sqrt-len': {
      // Accumulate in float64: sums over 512 tokens lose digits in float32.
      const sum = new Float64Array(hidden);
      for (let t = 0; t < length; t++) {
        const at = base + t * hidden;
        for (let h = 0; h < hidden; h++) sum[h] = (sum[h] as number) + (states[at + h] as number);
      }
      const divisor = mode === 'mean' ? length : Math.sqrt(length);
      for (let h = 0; h < hidden; h++) out[h] = (sum[h] as number) / divisor;
      return out;
    }
  }
}

/** Scales `v` to unit length in place; a zero vector stays zero. */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

/** The first `dims` components, re-normalised (Matryoshka truncation). */
export function truncateAndNormalize(v: Float32Array, dims: number): Float32Array {
  return normalizeInPlace(v.length === dims ? v : v.slice(0, dims));
}

/** Combines the (normalised) vectors of one text's windows: their mean or element-wise maximum. */
export function combineWindows(vectors: readonly Float32Array[], how: 'mean' | 'max'): Float32Array {
  const first = vectors[0];
  if (!first) throw new Error('combineWindows: no vectors');
  if (vectors.length === 1) return first;
  const out = new Float32Array(first.length);
  if (how === 'max') out.fill(-Infinity);
  for (const v of vectors) {
    for (let i = 0; i < out.length; i++) {
      out[i] =
        how === 'mean' ? (out[i] as number) + (v[i] as number) : Math.max(out[i] as number, v[i] as number);
    }
  }
  return out;
}
