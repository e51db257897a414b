/** Typed failures of the embedding engine. Every message names the folder or file and says what is wrong. */

/** What is wrong with a model folder; callers may branch on it (e.g. fall back to the bundled model). */
export type ModelFolderProblem =
  | 'not-found' // the folder itself does not exist or is not a folder
  | 'missing-file' // a required file is absent
  | 'malformed' // a file exists but cannot be parsed (bad JSON, bad tokenizer, not an ONNX model)
  | 'invalid' // parsed, but a value is wrong (shape, type, out of range, contradicts another file)
  | 'unsupported' // well-formed, but the engine cannot run it (e.g. an unknown module or pooling mode)
  | 'graph-mismatch'; // the ONNX graph's inputs or outputs are not what the folder describes

export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
  constructor(
    readonly folder: string,
    readonly problem: ModelFolderProblem,
    readonly detail: string,
    /** The file the problem is in, relative to the folder, where there is one. */
    readonly file?: string,
  ) {
    super(`model folder ${folder}: ${file ? `${file}: ` : ''}${detail}`);
  }
}

/** The worker failed at run time (it crashed, ran out of memory, or was disposed while work was pending). */
export class EmbeddingEngineError extends Error {
  override readonly name = 'EmbeddingEngineError';
  constructor(
    message: string,
    readonly reason: 'worker-crashed' | 'disposed' | 'inference-failed' | 'load-failed',
  ) {
    super(message);
  }
}

/** The error an aborted `embed` call rejects with: the signal's reason, or a standard AbortError. */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The embedding request was aborted', 'AbortError');
}

/** Crosses the worker boundary as plain data and is rebuilt as the same typed error on the other side. */
export type SerializedError =
  | { kind: 'model-folder'; folder: string; problem: ModelFolderProblem; detail: string; file?: string }
  | { kind: 'other'; message: string; stack?: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ModelFolderError) {
    return {
      kind: 'model-folder',
      folder: error.folder,
      problem: error.problem,
      detail: error.detail,
      file: error.file,
    };
  }
  if (error instanceof Error) return { kind: 'other', message: error.message, stack: error.stack };
  return { kind: 'other', message: String(error) };
}

export function deserializeError(error: SerializedError, context: string): Error {
  if (error.kind === 'model-folder')
    return new ModelFolderError(error.folder, error.problem, error.detail, error.file);
  return new EmbeddingEngineError(`${context}: ${error.message}`, 'inference-failed');
}
