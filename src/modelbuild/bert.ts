/**
 * Exports a BERT-architecture checkpoint (Hugging Face names, safetensors) to an fp32 ONNX graph with
 * inputs `input_ids`, `attention_mask`, `token_type_ids` (int64 [batch, sequence]) and output
 * `last_hidden_state` [batch, sequence, hidden] — what optimum exports for sentence-transformers models,
 * so the embedding engine pools it per the folder's 1_Pooling config. Written with plain ONNX ops
 * (opset 17); onnxruntime fuses LayerNorm, GELU and attention itself when it loads the graph.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder, TensorType, attr } from './onnx';
import { readSafetensorsFile, toFloat32, type SafetensorsEntry } from './safetensors';

export interface BertConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  vocab_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_act: string;
  position_embedding_type?: string;
  model_type?: string;
}

/** Named float32 weights, looked up with or without the `bert.` prefix. */
export interface WeightSource {
  get(name: string): { shape: readonly number[]; data: Float32Array } | undefined;
}

export const OPSET = 17;

/** Reads and checks a BERT config.json object. */
export function parseBertConfig(raw: unknown, source: string): BertConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${source}: expected a JSON object`);
  const c = raw as Record<string, unknown>;
  const modelType = c.model_type;
  if (modelType !== undefined && modelType !== 'bert') {
    throw new Error(
      `${source}: model_type "${String(modelType)}" is not BERT; this exporter handles BERT-architecture models only`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new Error(`${source}: "${key}" must be a positive whole number`);
    return v;
  };
  const config: BertConfig = {
    hidden_size: int('hidden_size'),
    num_hidden_layers: int('num_hidden_layers'),
    num_attention_heads: int('num_attention_heads'),
    intermediate_size: int('intermediate_size'),
    vocab_size: int('vocab_size'),
    max_position_embeddings: int('max_position_embeddings'),
    type_vocab_size: int('type_vocab_size', 2),
    layer_norm_eps: typeof c.layer_norm_eps === 'number' ? c.layer_norm_eps : 1e-12,
    hidden_act: typeof c.hidden_act === 'string' ? c.hidden_act : 'gelu',
    position_embedding_type:
      typeof c.position_embedding_type === 'string' ? c.position_embedding_type : 'absolute',
    model_type: 'bert',
  };
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new Error(
      `${source}: hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`,
    );
  }
  if (!['gelu', 'relu', 'gelu_new', 'gelu_pytorch_tanh'].includes(config.hidden_act)) {
    throw new Error(`${source}: hidden_act "${config.hidden_act}" is not supported (gelu, gelu_new, relu)`);
  }
  if (config.position_embedding_type !== 'absolute') {
    throw new Error(
      `${source}: position_embedding_type "${config.position_embedding_type}" is not supported (absolute only)`,
    );
  }
  return config;
}

/** Builds the ONNX model bytes. Throws naming the first weight that is missing or has the wrong shape. */
export function buildBertOnnx(config: BertConfig, weights: WeightSource): Uint8Array {
  const H = config.hidden_size;
  const heads = config.num_attention_heads;
  const headDim = H / heads;
  const g = new GraphBuilder('bert');

  const weight = (name: string, shape: readonly number[]) => {
    const w = weights.get(name);
    if (!w) throw new Error(`weight ${name} is missing from the checkpoint`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`weight ${name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return w.data;
  };
  const init = (name: string, shape: readonly number[]) =>
    g.initializer(name, { type: TensorType.Float, dims: shape, data: weight(name, shape) });
  /** PyTorch Linear stores [out, in]; MatMul wants [in, out]. */
  const linear = (x: string, prefix: string, inSize: number, outSize: number): string => {
    const w = weight(`${prefix}.weight`, [outSize, inSize]);
    const t = new Float32Array(w.length);
    for (let o = 0; o < outSize; o++)
      for (let i = 0; i < inSize; i++) t[i * outSize + o] = w[o * inSize + i] as number;
    const wName = g.initializer(`${prefix}.weight_t`, {
      type: TensorType.Float,
      dims: [inSize, outSize],
      data: t,
    });
    return g.node1('Add', [g.node1('MatMul', [x, wName]), init(`${prefix}.bias`, [outSize])]);
  };
  const layerNorm = (x: string, prefix: string): string =>
    g.node1('LayerNormalization', [x, init(`${prefix}.weight`, [H]), init(`${prefix}.bias`, [H])], {
      axis: attr.int(-1),
      epsilon: attr.float(config.layer_norm_eps),
    });

  const inputIds = g.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', TensorType.Int64, ['batch', 'sequence']);
  const typeIds = g.input('token_type_ids', TensorType.Int64, ['batch', 'sequence']);

  // Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
  const words = g.node1('Gather', [
    init('embeddings.word_embeddings.weight', [config.vocab_size, H]),
    inputIds,
  ]);
  const seqLen = g.node1('Gather', [g.node1('Shape', [inputIds]), g.constInt64('one_index', [1], [])], {
    axis: attr.int(0),
  });
  const positions = g.node1('Range', [g.constInt64('zero', [0], []), seqLen, g.constInt64('one', [1], [])]);
  const posEmb = g.node1('Gather', [
    init('embeddings.position_embeddings.weight', [config.max_position_embeddings, H]),
    positions,
  ]);
  const typeEmb = g.node1('Gather', [
    init('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H]),
    typeIds,
  ]);
  let hidden = layerNorm(g.node1('Add', [g.node1('Add', [words, posEmb]), typeEmb]), 'embeddings.LayerNorm');

  // Additive attention mask [batch, 1, 1, sequence]: 0 where attended, a large negative number at padding.
  const maskFloat = g.node1('Cast', [mask], { to: attr.int(TensorType.Float) });
  const maskBias = g.node1('Mul', [
    g.node1('Sub', [g.constFloat('one_f', [1], []), maskFloat]),
    g.constFloat('mask_value', [-1e9], []),
  ]);
  const maskBias4d = g.node1('Unsqueeze', [maskBias, g.constInt64('mask_axes', [1, 2])]);

  const splitShape = g.constInt64('split_heads_shape', [0, 0, heads, headDim]);
  const mergeShape = g.constInt64('merge_heads_shape', [0, 0, H]);
  const scale = g.constFloat('attention_scale', [1 / Math.sqrt(headDim)], []);
  const act = config.hidden_act;

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    const heads4d = (x: string, perm: number[]) =>
      g.node1('Transpose', [g.node1('Reshape', [x, splitShape])], { perm: attr.ints(perm) });
    const q = heads4d(linear(hidden, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]);
    const k = heads4d(linear(hidden, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = heads4d(linear(hidden, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = g.node1('Add', [g.node1('Mul', [g.node1('MatMul', [q, k]), scale]), maskBias4d]);
    const probs = g.node1('Softmax', [scores], { axis: attr.int(-1) });
    const context = g.node1('Reshape', [
      g.node1('Transpose', [g.node1('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) }),
      mergeShape,
    ]);
    const attended = linear(context, `${p}.attention.output.dense`, H, H);
    hidden = layerNorm(g.node1('Add', [attended, hidden]), `${p}.attention.output.LayerNorm`);

    const up = linear(hidden, `${p}.intermediate.dense`, H, config.intermediate_size);
    const activated = activation(g, up, act);
    const down = linear(activated, `${p}.output.dense`, config.intermediate_size, H);
    hidden = layerNorm(g.node1('Add', [down, hidden]), `${p}.output.LayerNorm`);
  }

  g.node1('Identity', [hidden], {}, 'last_hidden_state');
  g.output('last_hidden_state', TensorType.Float, ['batch', 'sequence', H]);
  return g.toBytes({ opset: OPSET, docString: 'BERT encoder exported by patent-passages' });
}

function activation(g: GraphBuilder, x: string, act: string): string {
  if (act === 'relu') return g.node1('Relu', [x]);
  if (act === 'gelu') {
    // GELU with erf: x * 0.5 * (1 + erf(x / sqrt(2)))
    const erf = g.node1('Erf', [g.node1('Mul', [x, g.constFloat('inv_sqrt2', [Math.SQRT1_2], [])])]);
    return g.node1('Mul', [
      g.node1('Mul', [x, g.constFloat('half', [0.5], [])]),
      g.node1('Add', [erf, g.constFloat('one_g', [1], [])]),
    ]);
  }
  // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const cube = g.node1('Mul', [g.node1('Mul', [x, x]), x]);
  const inner = g.node1('Mul', [
    g.node1('Add', [x, g.node1('Mul', [cube, g.constFloat('c044715', [0.044715], [])])]),
    g.constFloat('sqrt_2_over_pi', [Math.sqrt(2 / Math.PI)], []),
  ]);
  return g.node1('Mul', [
    g.node1('Mul', [x, g.constFloat('half_t', [0.5], [])]),
    g.node1('Add', [g.node1('Tanh', [inner]), g.constFloat('one_t', [1], [])]),
  ]);
}

/** Weights from safetensors entries; accepts `bert.`-prefixed names and the old `gamma`/`beta` LayerNorm names. */
export function safetensorsWeights(tensors: Map<string, SafetensorsEntry>): WeightSource {
  return {
    get(name) {
      const candidates = [name, `bert.${name}`];
      if (name.endsWith('LayerNorm.weight'))
        candidates.push(...candidates.map((n) => n.replace(/weight$/, 'gamma')));
      if (name.endsWith('LayerNorm.bias'))
        candidates.push(...candidates.map((n) => n.replace(/bias$/, 'beta')));
      for (const candidate of candidates) {
        const entry = tensors.get(candidate);
        if (entry) return { shape: entry.shape, data: toFloat32(entry, candidate) };
      }
      return undefined;
    },
  };
}

export interface ExportResult {
  onnxPath: string;
  bytes: number;
  parameters: number;
  config: BertConfig;
}

/** Reads `config.json` + `model.safetensors` from `checkpointDir` and writes `outFile` (default `<dir>/model.onnx`). */
export async function exportBertCheckpoint(
  checkpointDir: string,
  outFile = join(checkpointDir, 'model.onnx'),
): Promise<ExportResult> {
  const configPath = join(checkpointDir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new Error(`${configPath}: cannot read the model config (${(error as Error).message})`);
  }
  const config = parseBertConfig(raw, configPath);
  const { tensors } = await readSafetensorsFile(join(checkpointDir, 'model.safetensors'));
  let parameters = 0;
  const source = safetensorsWeights(tensors);
  const counting: WeightSource = {
    get(name) {
      const w = source.get(name);
      if (w) parameters += w.data.length;
      return w;
    },
  };
  let bytes: Uint8Array;
  try {
    bytes = buildBertOnnx(config, counting);
  } catch (error) {
    throw new Error(`${join(checkpointDir, 'model.safetensors')}: ${(error as Error).message}`);
  }
  await writeFile(outFile, bytes);
  return { onnxPath: outFile, bytes: bytes.length, parameters, config };
}
