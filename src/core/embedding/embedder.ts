/** Turns texts into L2-normalised vectors. Implemented by the worker-backed ONNX engine. */
export interface EmbedOptions {
  /** `query` (the claim under the cursor) jumps ahead of `background` work such as indexing. */
  priority?: 'query' | 'background';
  /** Which side of an asymmetric model the texts are on: selects the model's query/passage prefix. */
  kind?: 'query' | 'passage';
  signal?: AbortSignal;
}

export interface Embedder {
  /** Identifies model and output: changes whenever vectors would change (model files, dimensions). */
  readonly modelId: string;
  readonly dims: number;
  /**
   * The dense share of the hybrid score the model's folder asks for (manifest `hybrid.denseWeight`);
   * undefined: search uses the global default.
   */
  readonly hybridDenseWeight?: number;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}
