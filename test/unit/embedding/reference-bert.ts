/**
 * An independent BERT forward pass in plain TypeScript (float64), written from the architecture's
 * definition, not from our exporter: embeddings + LayerNorm, multi-head self-attention, GELU (erf) FFN,
 * post-LayerNorm residuals; then sentence-transformers pooling and L2 normalisation. It runs one sequence
 * at a time without padding, so it is the ground truth for what batching and padding must not change.
 */
import type { BertConfig } from '../../../src/modelbuild/bert';

export type Weights = Record<string, { shape: readonly number[]; data: Float32Array }>;

/** Rows × cols matrix in row-major float64. */
interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function referenceHiddenStates(config: BertConfig, weights: Weights, ids: readonly number[]): Matrix {
  const w = (name: string) => {
    const t = weights[name] ?? weights[`bert.${name}`];
    if (!t) throw new Error(`reference: weight ${name} missing`);
    return t.data;
  };
  const H = config.hidden_size;
  const S = ids.length;
  let x: Matrix = { rows: S, cols: H, data: new Float64Array(S * H) };
  const word = w('embeddings.word_embeddings.weight');
  const pos = w('embeddings.position_embeddings.weight');
  const type = w('embeddings.token_type_embeddings.weight');
  for (let t = 0; t < S; t++) {
    const id = ids[t] as number;
    for (let h = 0; h < H; h++) {
      x.data[t * H + h] = (word[id * H + h] as number) + (pos[t * H + h] as number) + (type[h] as number); // token type 0
    }
  }
  x = layerNorm(x, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), config.layer_norm_eps);

  const heads = config.num_attention_heads;
  const d = H / heads;
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = linear(x, w(`${p}.attention.self.query.weight`), w(`${p}.attention.self.query.bias`), H);
    const k = linear(x, w(`${p}.attention.self.key.weight`), w(`${p}.attention.self.key.bias`), H);
    const v = linear(x, w(`${p}.attention.self.value.weight`), w(`${p}.attention.self.value.bias`), H);
    const context: Matrix = { rows: S, cols: H, data: new Float64Array(S * H) };
    const scores = new Float64Array(S);
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < S; i++) {
        let max = -Infinity;
        for (let j = 0; j < S; j++) {
          let dot = 0;
          for (let c = 0; c < d; c++)
            dot += (q.data[i * H + hd * d + c] as number) * (k.data[j * H + hd * d + c] as number);
          scores[j] = dot / Math.sqrt(d);
          max = Math.max(max, scores[j] as number);
        }
        let sum = 0;
        for (let j = 0; j < S; j++) {
          scores[j] = Math.exp((scores[j] as number) - max);
          sum += scores[j] as number;
        }
        for (let j = 0; j < S; j++) {
          const p2 = (scores[j] as number) / sum;
          for (let c = 0; c < d; c++)
            context.data[i * H + hd * d + c] =
              (context.data[i * H + hd * d + c] as number) + p2 * (v.data[j * H + hd * d + c] as number);
        }
      }
    }
    const attended = linear(
      context,
      w(`${p}.attention.output.dense.weight`),
      w(`${p}.attention.output.dense.bias`),
      H,
    );
    x = layerNorm(
      add(attended, x),
      w(`${p}.attention.output.LayerNorm.weight`),
      w(`${p}.attention.output.LayerNorm.bias`),
      config.layer_norm_eps,
    );
    const up = linear(
      x,
      w(`${p}.intermediate.dense.weight`),
      w(`${p}.intermediate.dense.bias`),
      config.intermediate_size,
    );
    for (let i = 0; i < up.data.length; i++) up.data[i] = gelu(up.data[i] as number);
    const down = linear(up, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`), H);
    x = layerNorm(
      add(down, x),
      w(`${p}.output.LayerNorm.weight`),
      w(`${p}.output.LayerNorm.bias`),
      config.layer_norm_eps,
    );
  }
  return x;
}

/** Pools like sentence-transformers (over all tokens of the unpadded sequence) and L2-normalises. */
export function referenceSentenceVector(
  config: BertConfig,
  weights: Weights,
  ids: readonly number[],
  pooling: 'cls' | 'mean' | 'max',
  dims = config.hidden_size,
): Float64Array {
  const x = referenceHiddenStates(config, weights, ids);
  const H = x.cols;
  const out = new Float64Array(H);
  if (pooling === 'cls') out.set(x.data.subarray(0, H));
  else if (pooling === 'mean') {
    for (let t = 0; t < x.rows; t++)
      for (let h = 0; h < H; h++) out[h] = (out[h] as number) + (x.data[t * H + h] as number) / x.rows;
  } else {
    out.fill(-Infinity);
    for (let t = 0; t < x.rows; t++)
      for (let h = 0; h < H; h++) out[h] = Math.max(out[h] as number, x.data[t * H + h] as number);
  }
  return normalize(out.slice(0, dims));
}

export function normalize(v: Float64Array): Float64Array {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

/** y = x Wᵀ + b with W stored [out, in] as PyTorch does. */
function linear(x: Matrix, weight: Float32Array, bias: Float32Array, out: number): Matrix {
  const inSize = x.cols;
  const y: Matrix = { rows: x.rows, cols: out, data: new Float64Array(x.rows * out) };
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = bias[o] as number;
      const wo = o * inSize;
      const xr = r * inSize;
      for (let i = 0; i < inSize; i++) s += (x.data[xr + i] as number) * (weight[wo + i] as number);
      y.data[r * out + o] = s;
    }
  }
  return y;
}

function add(a: Matrix, b: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + (b.data[i] as number)) };
}

function layerNorm(x: Matrix, gamma: Float32Array, beta: Float32Array, eps: number): Matrix {
  const y: Matrix = { rows: x.rows, cols: x.cols, data: new Float64Array(x.data.length) };
  for (let r = 0; r < x.rows; r++) {
    const row = x.data.subarray(r * x.cols, (r + 1) * x.cols);
    const mean = row.reduce((s, v) => s + v, 0) / x.cols;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / x.cols;
    for (let c = 0; c < x.cols; c++) {
      y.data[r * x.cols + c] =
        (((row[c] as number) - mean) / Math.sqrt(variance + eps)) * (gamma[c] as number) +
        (beta[c] as number);
    }
  }
  return y;
}

function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** erf to ~1e-15: Taylor series near 0, continued fraction for erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
  let t = a;
  for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}
