/** The embedding engine's public surface. */
export type { EmbedOptions, Embedder } from './embedder';
export {
  createEmbedder,
  DEFAULT_LONG_TEXT,
  defaultBatchTokens,
  defaultThreadCount,
  OnnxEmbedder,
  type EmbedderModelInfo,
  type EmbedderOptions,
} from './engine';
export { EmbeddingEngineError, ModelFolderError, type ModelFolderProblem } from './errors';
export {
  loadModelFolder,
  MANIFEST_FILE,
  type LongTextMode,
  type ModelSpec,
  type PoolingMode,
} from './model-folder';
export { tokenizerKinds, type TextTokenizer, type TokenizerFactory } from './tokenizer';
