/**
 * Synthetic BERT checkpoints with seeded random weights, in the exact files a Hugging Face
 * sentence-transformers repository has (model.safetensors, config.json, WordPiece tokenizer.json, ...).
 * Tests and benchmarks build them instead of downloading a model: the numbers are meaningless, but every
 * shape, file and code path is the real one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BertConfig } from './bert';
import { encodeSafetensors } from './safetensors';

export interface BertShape {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
}

/** bge-small-en-v1.5's shape, and bge-base's (bge-base-patentmatch). */
export const BGE_SMALL_SHAPE: BertShape = {
  hidden: 384,
  layers: 12,
  heads: 12,
  intermediate: 1536,
  maxPositions: 512,
};
export const BGE_BASE_SHAPE: BertShape = {
  hidden: 768,
  layers: 12,
  heads: 12,
  intermediate: 3072,
  maxPositions: 512,
};

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal(0, std) by Box–Muller. */
function normals(random: () => number, count: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * A WordPiece vocabulary: the special tokens, then `words` (lower-cased, de-duplicated), then every
 * character seen as a word start and as a `##` continuation, so unknown words split into pieces as in a
 * real vocabulary. `size` pads with `[unusedN]` to a real vocabulary's size (30522 for BERT).
 */
export function buildVocab(words: Iterable<string>, size?: number): string[] {
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocab);
  const add = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  const chars = new Set<string>('abcdefghijklmnopqrstuvwxyz0123456789.,;:()-/%\'"');
  for (const word of words) {
    const w = word.toLowerCase();
    if (w) add(w);
    for (const ch of w) chars.add(ch);
  }
  for (const ch of chars) add(ch);
  for (const ch of chars) add(`##${ch}`);
  for (let i = 0; size !== undefined && vocab.length < size; i++) add(`[unused${i}]`);
  return vocab;
}

/** A Hugging Face tokenizer.json for a lower-casing BERT WordPiece tokenizer over `vocab`. */
export function wordPieceTokenizerJson(vocab: readonly string[]): object {
  const id = (token: string) => vocab.indexOf(token);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

/** Random BERT weights in Hugging Face naming (with the `bert.` prefix when `prefixed`). */
export function randomBertWeights(
  config: BertConfig,
  seed: number,
  prefixed = false,
): Record<string, { shape: number[]; data: Float32Array }> {
  const random = seededRandom(seed);
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const p = prefixed ? 'bert.' : '';
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  const put = (name: string, shape: number[], std: number, mean = 0) => {
    out[p + name] = {
      shape,
      data: normals(
        random,
        shape.reduce((a, b) => a * b, 1),
        std,
        mean,
      ),
    };
  };
  // LayerNorm scales near 1 and biases near 0 but not exactly, so a test notices if one is ignored.
  const layerNorm = (name: string) => {
    put(`${name}.weight`, [H], 0.1, 1);
    put(`${name}.bias`, [H], 0.1);
  };
  put('embeddings.word_embeddings.weight', [config.vocab_size, H], 0.5);
  put('embeddings.position_embeddings.weight', [config.max_position_embeddings, H], 0.5);
  put('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H], 0.5);
  layerNorm('embeddings.LayerNorm');
  // Init scale 1/sqrt(fan-in) keeps activations of order one through every layer.
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const q = `encoder.layer.${l}`;
    for (const part of ['query', 'key', 'value']) {
      put(`${q}.attention.self.${part}.weight`, [H, H], 1 / Math.sqrt(H));
      put(`${q}.attention.self.${part}.bias`, [H], 0.05);
    }
    put(`${q}.attention.output.dense.weight`, [H, H], 1 / Math.sqrt(H));
    put(`${q}.attention.output.dense.bias`, [H], 0.05);
    layerNorm(`${q}.attention.output.LayerNorm`);
    put(`${q}.intermediate.dense.weight`, [I, H], 1 / Math.sqrt(H));
    put(`${q}.intermediate.dense.bias`, [I], 0.05);
    put(`${q}.output.dense.weight`, [H, I], 1 / Math.sqrt(I));
    put(`${q}.output.dense.bias`, [H], 0.05);
    layerNorm(`${q}.output.LayerNorm`);
  }
  return out;
}

export interface SyntheticCheckpointOptions {
  shape: BertShape;
  /** Words for the vocabulary (real patent words make token counts realistic). */
  words: Iterable<string>;
  /** Pad the vocabulary to this size (30522 = BERT's). */
  vocabSize?: number;
  seed?: number;
  pooling?: 'cls' | 'mean' | 'max';
  /** Name weights `bert.embeddings...` as BertModel-with-head checkpoints do. */
  prefixed?: boolean;
  /** sentence_bert_config.json max_seq_length (default: the shape's maxPositions). */
  maxSeqLength?: number;
}

/**
 * Writes a sentence-transformers repository's files (as on the hub) into `dir`: model.safetensors,
 * config.json, tokenizer.json, tokenizer_config.json, modules.json, 1_Pooling/config.json,
 * sentence_bert_config.json, config_sentence_transformers.json. Returns the config and weights.
 */
export async function writeSyntheticCheckpoint(
  dir: string,
  options: SyntheticCheckpointOptions,
): Promise<{
  config: BertConfig;
  weights: Record<string, { shape: number[]; data: Float32Array }>;
  vocab: string[];
}> {
  const { shape } = options;
  const vocab = buildVocab(options.words, options.vocabSize);
  const config: BertConfig = {
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    vocab_size: vocab.length,
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
    position_embedding_type: 'absolute',
    model_type: 'bert',
  };
  const weights = randomBertWeights(config, options.seed ?? 1, options.prefixed);
  const pooling = options.pooling ?? 'cls';
  await mkdir(join(dir, '1_Pooling'), { recursive: true });
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(weights, { format: 'pt' }));
  await writeFile(join(dir, 'config.json'), json({ architectures: ['BertModel'], ...config }));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson(vocab)));
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    json({
      do_lower_case: true,
      model_max_length: shape.maxPositions,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      tokenizer_class: 'BertTokenizer',
      clean_up_tokenization_spaces: true,
    }),
  );
  await writeFile(
    join(dir, 'modules.json'),
    json([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
  );
  await writeFile(
    join(dir, '1_Pooling', 'config.json'),
    json({
      word_embedding_dimension: shape.hidden,
      pooling_mode_cls_token: pooling === 'cls',
      pooling_mode_mean_tokens: pooling === 'mean',
      pooling_mode_max_tokens: pooling === 'max',
      pooling_mode_mean_sqrt_len_tokens: false,
    }),
  );
  await writeFile(
    join(dir, 'sentence_bert_config.json'),
    json({ max_seq_length: options.maxSeqLength ?? shape.maxPositions, do_lower_case: false }),
  );
  await writeFile(
    join(dir, 'config_sentence_transformers.json'),
    json({
      __version__: { sentence_transformers: '3.0.1' },
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
    }),
  );
  return { config, weights, vocab };
}
