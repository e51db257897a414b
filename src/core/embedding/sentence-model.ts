/**
 * One ONNX sentence-embedding model in this thread: tokenize, truncate or cut windows (keeping special
 * tokens), sort by length and pad per batch, run onnxruntime, pool, cut to Matryoshka size, normalise.
 * `InferenceSession.run` blocks its thread for the whole batch, so the engine runs this class in a worker;
 * tests and benchmarks may also run it directly.
 */
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isMainThread } from 'node:worker_threads';
import { EmbeddingEngineError, ModelFolderError } from './errors';
import type { LongTextMode, ModelSpec } from './model-folder';
import { telemetrySwitchInherited, withOnnxruntimeTelemetryOff } from './telemetry';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import { combineWindows, normalizeInPlace, poolRow, truncateAndNormalize } from './vectors';

export interface SentenceModelOptions {
  /** onnxruntime intra-op threads. */
  threads: number;
  /** Output size; the model's full size if absent, else one of its Matryoshka sizes. */
  dims?: number;
  /** Let onnxruntime's pool threads spin between operators (default false: they sleep). */
  spinning?: boolean;
}

export interface BatchingOptions {
  longText: LongTextMode;
  /** Upper bound on rows × padded length of one onnxruntime run (memory and the wait of a query behind it). */
  maxBatchTokens: number;
  maxBatchRows: number;
}

/** What the loaded model turned out to be: sent back to the engine after loading. */
export interface LoadedModelInfo {
  fullDims: number;
  dims: number;
  maxTokens: number;
  inputNames: string[];
  outputName: string;
  graphKind: ModelSpec['graph']['kind'];
  threads: number;
  loadMs: number;
}

export interface EmbedStats {
  /** Sequences run (a long text in windows counts once per window). */
  sequences: number;
  /** Real tokens, and tokens including padding, over all runs. */
  tokens: number;
  paddedTokens: number;
  runs: number;
}

/** Windows per text at most (16 × 510 tokens is far beyond any real paragraph). */
export const MAX_WINDOWS = 16;

/** The largest share of padded positions a batch may have. */
const MAX_PADDING_SHARE = 0.1;

const ALLOWED_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
const REQUIRED_INPUTS = ['input_ids', 'attention_mask'];

interface Row {
  text: number;
  ids: number[];
}

export class SentenceModel {
  private constructor(
    readonly spec: ModelSpec,
    readonly info: LoadedModelInfo,
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
  ) {}

  static async load(spec: ModelSpec, options: SentenceModelOptions): Promise<SentenceModel> {
    const started = performance.now();
    const onnxFile = relative(spec.folder, spec.onnxPath);
    const tokenizer = await loadTokenizer(spec);
    if (spec.maxTokens <= tokenizer.prefix.length + tokenizer.suffix.length) {
      throw new ModelFolderError(
        spec.folder,
        'invalid',
        `a maximum of ${spec.maxTokens} tokens leaves no room for text`,
      );
    }

    if (!isMainThread && !telemetrySwitchInherited()) {
      // Only the main thread can switch onnxruntime's telemetry off (telemetry.ts); OnnxEmbedder does.
      throw new EmbeddingEngineError(
        "this worker was started without onnxruntime's telemetry switch (start it through OnnxEmbedder)",
        'load-failed',
      );
    }
    let session: ort.InferenceSession;
    try {
      session = await withOnnxruntimeTelemetryOff(() =>
        ort.InferenceSession.create(spec.onnxPath, {
          intraOpNumThreads: options.threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // Idle pool threads would otherwise spin on a core the editor wants.
          extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
        }),
      );
    } catch (error) {
      throw new ModelFolderError(
        spec.folder,
        'malformed',
        `onnxruntime cannot load it: ${firstLine(error)}`,
        onnxFile,
      );
    }

    try {
      const outputName = checkGraph(spec, session, onnxFile);
      const model = new SentenceModel(
        spec,
        {
          fullDims: 0,
          dims: 0,
          maxTokens: spec.maxTokens,
          inputNames: [...session.inputNames],
          outputName,
          graphKind: spec.graph.kind,
          threads: options.threads,
          loadMs: 0,
        },
        session,
        tokenizer,
      );
      // A first run proves the graph runs on our inputs and tells the vector size where no file states it.
      const [probe] = await model.runRows([
        { text: 0, ids: [...tokenizer.prefix, ...tokenizer.tokenize('the'), ...tokenizer.suffix] },
      ]);
      const fullDims = probe?.length ?? 0;
      if (spec.dims !== undefined && fullDims !== spec.dims) {
        throw new ModelFolderError(
          spec.folder,
          'graph-mismatch',
          `output "${outputName}" has ${fullDims} values per text, but the folder says ${spec.dims}`,
          onnxFile,
        );
      }
      const dims = options.dims ?? fullDims;
      if (dims !== fullDims && !(dims < fullDims && spec.matryoshkaDims.includes(dims))) {
        const sizes = [fullDims, ...spec.matryoshkaDims.filter((d) => d < fullDims)];
        throw new ModelFolderError(
          spec.folder,
          'unsupported',
          `cannot give ${dims}-dimensional vectors: this model's sizes are ${sizes.join(', ')}`,
        );
      }
      model.info.fullDims = fullDims;
      model.info.dims = dims;
      model.info.loadMs = performance.now() - started;
      return model;
    } catch (error) {
      await session.release().catch(() => {});
      if (error instanceof ModelFolderError) throw error;
      throw new ModelFolderError(
        spec.folder,
        'graph-mismatch',
        `the graph fails on a test input: ${firstLine(error)}`,
        onnxFile,
      );
    }
  }

  /** Token count of a text as the model sees it (special tokens included, before truncation). */
  countTokens(text: string): number {
    return this.tokenizer.prefix.length + this.tokenize(text).length + this.tokenizer.suffix.length;
  }

  async embed(
    texts: readonly string[],
    batching: BatchingOptions,
    stats?: EmbedStats,
  ): Promise<Float32Array[]> {
    const { prefix, suffix } = this.tokenizer;
    const room = this.spec.maxTokens - prefix.length - suffix.length;
    const rows: Row[] = [];
    const empty = new Set<number>();
    // Bound the work a pathological text (a whole file pasted as one paragraph) can cause: at most
    // MAX_WINDOWS windows, and no more characters than those windows could hold at 64 per token.
    const maxChars = room * 64 * (batching.longText === 'truncate' ? 1 : MAX_WINDOWS);
    texts.forEach((text, i) => {
      const content = this.tokenize(text.length > maxChars ? text.slice(0, maxChars) : text);
      if (content.length === 0 && prefix.length + suffix.length === 0) {
        empty.add(i); // Nothing to run: a graph without special tokens cannot take an empty row.
        return;
      }
      for (const window of windows(content.length, room, batching.longText)) {
        rows.push({ text: i, ids: [...prefix, ...content.slice(window.start, window.end), ...suffix] });
      }
    });

    const rowVectors = new Map<Row, Float32Array>();
    // Longest first, so each batch pads only up to rows of nearly the same length.
    const sorted = [...rows].sort((a, b) => b.ids.length - a.ids.length);
    for (let at = 0; at < sorted.length;) {
      const longest = (sorted[at] as Row).ids.length;
      const limit = Math.max(
        1,
        Math.min(batching.maxBatchRows, Math.floor(batching.maxBatchTokens / longest)),
      );
      // On CPU a single sequence of ~100 tokens already keeps the cores busy, so bigger batches gain
      // little while padding costs in full: stop a batch before padding exceeds a tenth of it.
      let count = 1;
      let real = longest;
      while (count < limit && at + count < sorted.length) {
        const next = (sorted[at + count] as Row).ids.length;
        if ((count + 1) * longest - (real + next) > MAX_PADDING_SHARE * (count + 1) * longest) break;
        real += next;
        count++;
      }
      const batch = sorted.slice(at, at + count);
      const vectors = await this.runRows(batch);
      batch.forEach((row, i) => rowVectors.set(row, vectors[i] as Float32Array));
      if (stats) {
        stats.runs++;
        stats.sequences += batch.length;
        stats.paddedTokens += batch.length * longest;
        for (const row of batch) stats.tokens += row.ids.length;
      }
      at += count;
    }

    const perText: Float32Array[][] = texts.map(() => []);
    for (const row of rows) perText[row.text]?.push(rowVectors.get(row) as Float32Array);
    const how = batching.longText === 'window-max' ? 'max' : 'mean';
    return perText.map((vectors, i) => {
      if (empty.has(i)) return new Float32Array(this.info.dims || 1);
      const combined =
        vectors.length === 1 ? (vectors[0] as Float32Array) : normalizeInPlace(combineWindows(vectors, how));
      return truncateAndNormalize(combined, this.info.dims || combined.length);
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private tokenize(text: string): number[] {
    return this.tokenizer.tokenize(this.spec.lowercase ? text.toLowerCase() : text);
  }

  /** Runs one padded batch; returns each row's full-size, normalised vector. */
  private async runRows(rows: readonly Row[]): Promise<Float32Array[]> {
    const batch = rows.length;
    const seq = Math.max(...rows.map((r) => r.ids.length));
    const ids = new BigInt64Array(batch * seq).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(batch * seq);
    rows.forEach((row, r) => {
      for (let t = 0; t < row.ids.length; t++) {
        ids[r * seq + t] = BigInt(row.ids[t] as number);
        mask[r * seq + t] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
    };
    if (this.info.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]);
    }
    const outputs = await this.session.run(feeds, [this.info.outputName]);
    const output = outputs[this.info.outputName];
    if (!output || output.type !== 'float32') {
      throw new Error(`output "${this.info.outputName}" is ${output?.type ?? 'missing'}, expected float32`);
    }
    const data = output.data as Float32Array;
    const dims = output.dims;
    try {
      if (this.spec.graph.kind === 'sentence-embedding') {
        if (dims.length !== 2 || dims[0] !== batch)
          throw new Error(`output shape [${dims.join(', ')}], expected [${batch}, dims]`);
        const width = dims[1] as number;
        return rows.map((_, r) => normalizeInPlace(data.slice(r * width, (r + 1) * width)));
      }
      if (dims.length !== 3 || dims[0] !== batch || dims[1] !== seq) {
        throw new Error(`output shape [${dims.join(', ')}], expected [${batch}, ${seq}, hidden]`);
      }
      const hidden = dims[2] as number;
      const pooling = this.spec.graph.pooling;
      return rows.map((row, r) => normalizeInPlace(poolRow(data, r, seq, hidden, row.ids.length, pooling)));
    } finally {
      output.dispose();
    }
  }
}

/** Token ranges of the content to run: one (cut to `room`), or overlapping windows covering all of it. */
export function windows(length: number, room: number, mode: LongTextMode): { start: number; end: number }[] {
  if (mode === 'truncate' || length <= room) return [{ start: 0, end: Math.min(length, room) }];
  const stride = room - Math.floor(room / 4); // a quarter of each window overlaps the next
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start + room < length; start += stride) out.push({ start, end: start + room });
  out.push({ start: length - room, end: length }); // the last window ends at the text's end
  return out.length > MAX_WINDOWS ? out.slice(0, MAX_WINDOWS) : out;
}

/** Checks the graph's inputs and outputs against the folder; returns the output to read. */
function checkGraph(spec: ModelSpec, session: ort.InferenceSession, onnxFile: string): string {
  const mismatch = (detail: string) => new ModelFolderError(spec.folder, 'graph-mismatch', detail, onnxFile);
  const inputs = session.inputNames;
  for (const name of REQUIRED_INPUTS) {
    if (!inputs.includes(name))
      throw mismatch(`the graph has no input "${name}" (its inputs: ${inputs.join(', ')})`);
  }
  const unknown = inputs.filter((n) => !ALLOWED_INPUTS.has(n));
  if (unknown.length) {
    throw mismatch(
      `the graph wants inputs the engine cannot give: ${unknown.join(', ')} (it gives input_ids, attention_mask, token_type_ids)`,
    );
  }
  session.inputMetadata.forEach((meta, i) => {
    if (meta.isTensor && meta.type !== 'int64')
      throw mismatch(`input "${inputs[i]}" is ${meta.type}, expected int64`);
  });

  const outputs = session.outputNames;
  const wanted =
    spec.graph.kind === 'sentence-embedding'
      ? [spec.graph.outputName]
      : spec.graph.outputName
        ? [spec.graph.outputName]
        : ['last_hidden_state', 'token_embeddings'];
  const name = wanted.find((n) => outputs.includes(n));
  if (!name)
    throw mismatch(
      `the graph has no output ${wanted.map((n) => `"${n}"`).join(' or ')} (its outputs: ${outputs.join(', ')})`,
    );
  const meta = session.outputMetadata[outputs.indexOf(name)];
  const rank = spec.graph.kind === 'sentence-embedding' ? 2 : 3;
  if (meta?.isTensor) {
    if (meta.type !== 'float32') throw mismatch(`output "${name}" is ${meta.type}, expected float32`);
    if (meta.shape.length > 0 && meta.shape.length !== rank) {
      throw mismatch(
        `output "${name}" has shape [${meta.shape.join(', ')}], expected ${rank === 3 ? '[batch, sequence, hidden]' : '[batch, dims]'}`,
      );
    }
  }
  return name;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
