/** The typed messages between the engine (calling thread) and its worker. One request in flight at a time. */
import type { SerializedError } from './errors';
import type { ModelSpec } from './model-folder';
import type { BatchingOptions, EmbedStats, LoadedModelInfo } from './sentence-model';

export type WorkerRequest =
  | {
      type: 'load';
      id: number;
      spec: ModelSpec;
      threads: number;
      dims?: number;
      spinning?: boolean;
      /** Lower this thread's OS priority first, so onnxruntime's pool threads inherit it. */
      lowPriority?: boolean;
    }
  | { type: 'embed'; id: number; texts: string[]; batching: BatchingOptions }
  /** Finish the current request, release the session, exit with `code`. */
  | { type: 'close'; id: number; code: number };

export type WorkerResponse =
  | { type: 'loaded'; id: number; info: LoadedModelInfo }
  /** `vectors` holds `count` vectors of `dims` values back to back; its buffer is transferred, not copied. */
  | { type: 'embedded'; id: number; vectors: Float32Array; count: number; dims: number; stats: EmbedStats }
  | { type: 'error'; id: number; error: SerializedError };
