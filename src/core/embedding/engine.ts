/**
 * The embedding engine on the calling thread: a priority queue of small batches feeding one worker that
 * owns the onnxruntime session, an LRU cache of vectors, cancellation, restart after a crash and
 * termination when idle. Nothing here computes; the calling thread only sorts, queues and copies.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { EmbedOptions, Embedder } from './embedder';
import { EmbeddingEngineError, abortError, deserializeError } from './errors';
import { loadModelFolder, type LongTextMode, type ModelSpec } from './model-folder';
import type { WorkerRequest, WorkerResponse } from './protocol';
import type { BatchingOptions, EmbedStats, LoadedModelInfo } from './sentence-model';
import { withOnnxruntimeTelemetryOff } from './telemetry';

export interface EmbedderOptions {
  /** The model folder (sentence-transformers ONNX layout, see docs/embedding.md). */
  modelDir: string;
  /** The worker script: out/worker.js in the bundle; tests pass src/core/embedding/worker.ts with tsx. */
  workerPath: string;
  /** Node options for the worker, e.g. `['--import', 'tsx']` to run the TypeScript source. */
  workerExecArgv?: string[];
  logger?: Logger;
  /** Vector size: the model's full size (default) or one of its Matryoshka sizes. */
  dims?: number;
  /** onnxruntime threads; default `defaultThreadCount()`. */
  threads?: number;
  /**
   * Let onnxruntime's pool threads busy-wait between operators. Off by default: spinning threads burn
   * the cores the editor needs and, when the machine is busy, slow inference down (see docs/notes/issue-4.md).
   */
  intraOpSpinning?: boolean;
  /**
   * Run inference at a lower OS priority (Linux: nice 10 for the worker's threads only; default true), so
   * the extension host's thread gets a core at once even while indexing saturates the others.
   */
  lowPriority?: boolean;
  /** Terminate the worker (and free the model's memory) after this long without work; 0 = never. Default 5 min. */
  idleTimeoutMs?: number;
  /**
   * Texts longer than the model's maximum: embed overlapping windows and average them (default), or cut
   * them. Measured on the PatentMatch dev set (docs/notes/issue-4.md): with USE-Lite's 128 tokens, 270 of
   * 580 paragraphs are longer, and windows score acc@10 0.270 / MRR@10 0.116 against 0.254 / 0.114 when
   * cutting (element-wise max: 0.227 / 0.103). For 512-token models windows only cost the rare long text.
   */
  longText?: LongTextMode;
  /**
   * Largest rows × padded tokens of one onnxruntime run (default `defaultBatchTokens`: 1024 for
   * bge-small, ~320 for bge-base): bounds memory and how long a query waits behind background work. On
   * CPU one sequence of ~100 tokens already keeps the cores busy, so bigger batches gain little.
   */
  maxBatchTokens?: number;
  maxBatchRows?: number;
  /** How many vectors the LRU cache keeps (query-priority texts only). Default 512; 0 disables it. */
  cacheSize?: number;
}

/** The model behind an embedder, for display and diagnostics. */
export interface EmbedderModelInfo {
  id: string;
  displayName: string;
  folder: string;
  license?: string;
  fullDims: number;
  matryoshkaDims: number[];
  maxTokens: number;
  threads: number;
  loadMs: number;
}

/** Validates the folder, starts the worker and loads the model; rejects with a ModelFolderError if it cannot. */
export async function createEmbedder(options: EmbedderOptions): Promise<OnnxEmbedder> {
  const spec = await loadModelFolder(options.modelDir);
  const embedder = new OnnxEmbedder(spec, options);
  try {
    await embedder.start();
  } catch (error) {
    await embedder.dispose();
    throw error;
  }
  return embedder;
}

/**
 * Threads for onnxruntime: all cores but one for the editor's own work, except on machines with two or
 * fewer cores, where leaving one idle would halve indexing speed (measured; see docs/embedding.md).
 */
export function defaultThreadCount(cores = availableParallelism()): number {
  return cores <= 2 ? Math.max(1, cores) : Math.min(cores - 1, 8);
}

interface Job {
  texts: string[];
  results: (Float32Array | undefined)[];
  remaining: number;
  settled: boolean;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
  /** Where each unique text's vector goes: the positions in `results` sharing that text. */
  positions: number[][];
  cacheKeys: (string | undefined)[];
}

interface WorkItem {
  job: Job;
  /** Indices into `job.positions` (unique texts). */
  uniques: number[];
}

interface Pending {
  resolve: (response: WorkerResponse) => void;
  reject: (error: unknown) => void;
}

const CRASH_LIMIT = 3;

export const DEFAULT_LONG_TEXT: LongTextMode = 'window-mean';

/**
 * Tokens per work item, scaled so an item costs about the same time whatever the model: 1024 for a
 * bge-small-sized model (133 MB fp32), ~320 for bge-base (436 MB), up to 2048 for small models. A claim
 * waits behind at most about one item (measured in docs/notes/issue-4.md).
 */
export function defaultBatchTokens(onnxBytes: number): number {
  const scaled = Math.round((1024 * 133e6) / Math.max(1, onnxBytes));
  return Math.min(2048, Math.max(256, scaled));
}

export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dims: number = 0;
  readonly hybridDenseWeight: number | undefined;
  /** Filled in by `start()`. */
  readonly model!: EmbedderModelInfo;
  /** Totals since creation, for benchmarks and the log. */
  readonly stats: EmbedStats & { cacheHits: number; restarts: number } = {
    sequences: 0,
    tokens: 0,
    paddedTokens: 0,
    runs: 0,
    cacheHits: 0,
    restarts: 0,
  };

  private readonly logger: Logger;
  private readonly batching: BatchingOptions;
  private readonly threads: number;
  private readonly idleTimeoutMs: number;
  private readonly cache: LRUCache<string, Float32Array> | undefined;
  private readonly queues: { query: WorkItem[]; background: WorkItem[] } = { query: [], background: [] };
  private worker: Worker | undefined;
  private workerStarting: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Workers asked to close (their exit is no crash), and workers that have exited. */
  private readonly closing = new WeakSet<Worker>();
  private readonly exited = new WeakSet<Worker>();
  private nextRequestId = 1;
  private pumping = false;
  private consecutiveCrashes = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly spec: ModelSpec,
    private readonly options: EmbedderOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.threads = options.threads ?? defaultThreadCount();
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
    this.batching = {
      longText: options.longText ?? DEFAULT_LONG_TEXT,
      maxBatchTokens: options.maxBatchTokens ?? defaultBatchTokens(spec.onnxBytes),
      maxBatchRows: options.maxBatchRows ?? 32,
    };
    const cacheSize = options.cacheSize ?? 512;
    this.cache = cacheSize > 0 ? new LRUCache<string, Float32Array>({ max: cacheSize }) : undefined;
    this.modelId = '';
    this.hybridDenseWeight = spec.hybridDenseWeight;
  }

  /** Starts the worker and loads the model (once); `createEmbedder` calls it. */
  async start(): Promise<void> {
    await this.ensureWorker();
  }

  embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const { signal } = options;
    if (this.disposed)
      return Promise.reject(new EmbeddingEngineError('the embedder has been disposed', 'disposed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const priority = options.priority ?? 'background';
    const prefix =
      options.kind === 'query'
        ? this.spec.queryPrefix
        : options.kind === 'passage'
          ? this.spec.passagePrefix
          : '';

    return new Promise<Float32Array[]>((resolve, reject) => {
      const job: Job = {
        texts: [],
        results: new Array<Float32Array | undefined>(texts.length),
        remaining: 0,
        settled: false,
        resolve,
        reject,
        positions: [],
        cacheKeys: [],
      };
      // One run per distinct text; cached vectors cost nothing.
      const seen = new Map<string, number>();
      texts.forEach((raw, i) => {
        const text = prefix + raw;
        const known = seen.get(text);
        if (known !== undefined) {
          job.positions[known]?.push(i);
          return;
        }
        const key = this.cache ? this.cacheKey(text) : undefined;
        const cached = key !== undefined ? this.cache?.get(key) : undefined;
        if (cached) {
          this.stats.cacheHits++;
          job.results[i] = cached.slice();
          return;
        }
        seen.set(text, job.texts.length);
        job.texts.push(text);
        job.positions.push([i]);
        job.cacheKeys.push(priority === 'query' ? key : undefined);
      });
      if (job.texts.length === 0) {
        job.settled = true;
        resolve(job.results as Float32Array[]);
        return;
      }

      const items = this.chunk(job);
      job.remaining = items.length;
      this.queues[priority].push(...items);
      if (signal) {
        const onAbort = () => this.settle(job, abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        const done = () => signal.removeEventListener('abort', onAbort);
        job.resolve = (v) => (done(), resolve(v));
        job.reject = (e) => (done(), reject(e));
      }
      void this.pump();
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.clearIdleTimer();
    const error = new EmbeddingEngineError(
      'the embedder was disposed before the texts were embedded',
      'disposed',
    );
    for (const item of [...this.queues.query, ...this.queues.background]) this.settle(item.job, error);
    this.queues.query.length = 0;
    this.queues.background.length = 0;
    await this.stopWorker(error);
  }

  private cacheKey(text: string): string {
    const hash = createHash('sha256').update(text).digest('base64url');
    return `${this.modelId}\u0000${this.batching.longText}\u0000${hash}`;
  }

  /** Splits a job into batches of similar length (longest first), each small enough to run at once. */
  private chunk(job: Job): WorkItem[] {
    const order = job.texts
      .map((_, i) => i)
      .sort((a, b) => (job.texts[b] as string).length - (job.texts[a] as string).length);
    const { maxTokens } = this.model;
    const windows = this.batching.longText !== 'truncate';
    const budget = this.batching.maxBatchTokens;
    const items: WorkItem[] = [];
    let current: number[] = [];
    let longest = 0; // the longest row of the item, padded length of its batch
    let total = 0; // all tokens of the item, windows included
    for (const i of order) {
      // About 4 characters a token in English patent prose; the worker re-batches on real token counts.
      const tokens = Math.ceil((job.texts[i] as string).length / 4) + 2;
      const row = Math.min(maxTokens, tokens);
      // Windows overlap by a quarter, so a long text costs about 4/3 of its tokens.
      const cost = !windows ? row : tokens > maxTokens ? Math.ceil((tokens * 4) / 3) : tokens;
      if (
        current.length > 0 &&
        (current.length >= this.batching.maxBatchRows ||
          (current.length + 1) * Math.max(longest, row) > budget ||
          total + cost > budget)
      ) {
        items.push({ job, uniques: current });
        current = [];
        longest = 0;
        total = 0;
      }
      current.push(i);
      longest = Math.max(longest, row);
      total += cost;
    }
    if (current.length) items.push({ job, uniques: current });
    return items;
  }

  private settle(job: Job, error?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    for (const queue of [this.queues.query, this.queues.background]) {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.job === job) queue.splice(i, 1);
    }
    if (error !== undefined) job.reject(error);
    else job.resolve(job.results as Float32Array[]);
  }

  /** Runs queued work one batch at a time, queries first. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    this.clearIdleTimer();
    try {
      for (;;) {
        const item = this.queues.query.shift() ?? this.queues.background.shift();
        if (!item) break;
        if (item.job.settled || this.disposed) continue;
        try {
          const worker = await this.ensureWorker();
          const response = await this.request(worker, {
            type: 'embed',
            id: 0,
            texts: item.uniques.map((u) => item.job.texts[u] as string),
            batching: this.batching,
          });
          this.consecutiveCrashes = 0;
          if (response.type !== 'embedded') throw new Error(`unexpected reply ${response.type}`);
          this.addStats(response.stats);
          this.deliver(item, response);
        } catch (error) {
          this.settle(item.job, error);
          if (
            error instanceof EmbeddingEngineError &&
            error.reason === 'worker-crashed' &&
            this.consecutiveCrashes >= CRASH_LIMIT
          ) {
            // Something kills every worker (memory?): stop retrying the queue; later calls start afresh.
            const giveUp = new EmbeddingEngineError(
              `${error.message}; it crashed ${CRASH_LIMIT} times in a row, so queued work was dropped`,
              'worker-crashed',
            );
            for (const queued of [...this.queues.query, ...this.queues.background])
              this.settle(queued.job, giveUp);
            this.consecutiveCrashes = 0;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
    this.scheduleIdleStop();
  }

  private deliver(item: WorkItem, response: Extract<WorkerResponse, { type: 'embedded' }>): void {
    const { job } = item;
    if (job.settled) return; // aborted while its batch ran: the result is dropped
    item.uniques.forEach((u, k) => {
      const vector = response.vectors.slice(k * response.dims, (k + 1) * response.dims);
      const key = job.cacheKeys[u];
      if (key !== undefined) this.cache?.set(key, vector.slice());
      const positions = job.positions[u] ?? [];
      positions.forEach((p, n) => (job.results[p] = n === 0 ? vector : vector.slice()));
    });
    if (--job.remaining === 0) this.settle(job);
  }

  private addStats(s: EmbedStats): void {
    this.stats.sequences += s.sequences;
    this.stats.tokens += s.tokens;
    this.stats.paddedTokens += s.paddedTokens;
    this.stats.runs += s.runs;
  }

  private ensureWorker(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    if (this.disposed)
      return Promise.reject(new EmbeddingEngineError('the embedder has been disposed', 'disposed'));
    // onnxruntime's telemetry is switched off through the process environment while the worker starts and
    // loads the model, and the variable restored after (see telemetry.ts).
    this.workerStarting ??= withOnnxruntimeTelemetryOff(() => this.startWorker()).finally(
      () => (this.workerStarting = undefined),
    );
    return this.workerStarting;
  }

  private async startWorker(): Promise<Worker> {
    const worker = new Worker(this.options.workerPath, { execArgv: this.options.workerExecArgv });
    worker.on('message', (response: WorkerResponse) => {
      const pending = this.pending.get(response.id);
      if (!pending) return;
      this.pending.delete(response.id);
      if (this.pending.size === 0) worker.unref();
      pending.resolve(response);
    });
    let lastError: Error | undefined;
    worker.on('error', (error) => {
      lastError = error;
      this.logger.error(`embedding worker failed: ${error.message}`);
    });
    worker.on('exit', (code) => {
      this.exited.add(worker);
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size === 0 || this.closing.has(worker)) return;
      this.consecutiveCrashes++;
      this.stats.restarts++;
      const error = new EmbeddingEngineError(
        `the embedding worker stopped unexpectedly (exit code ${code}${lastError ? `: ${lastError.message}` : ''}); ` +
          'it will be restarted for the next request',
        'worker-crashed',
      );
      this.logger.warn(error.message);
      for (const [, pending] of this.pending) pending.reject(error);
      this.pending.clear();
    });

    const response = await this.request(worker, {
      type: 'load',
      id: 0,
      spec: this.spec,
      threads: this.threads,
      dims: this.options.dims,
      spinning: this.options.intraOpSpinning,
      lowPriority: this.options.lowPriority ?? true,
    }).catch(async (error: unknown) => {
      await this.closeWorker(worker);
      throw error;
    });
    if (response.type !== 'loaded') throw new Error(`unexpected reply ${response.type}`);
    if (this.disposed) {
      await this.closeWorker(worker);
      throw new EmbeddingEngineError('the embedder has been disposed', 'disposed');
    }
    this.onLoaded(response.info);
    this.worker = worker;
    worker.unref();
    return worker;
  }

  private onLoaded(info: LoadedModelInfo): void {
    const first = this.model === undefined;
    const suffix = this.batching.longText === 'truncate' ? '' : `/${this.batching.longText}`;
    const mutable = this as { modelId: string; dims: number; model: EmbedderModelInfo };
    mutable.modelId = `${this.spec.id}@${this.spec.fingerprint}/${info.dims}${suffix}`;
    mutable.dims = info.dims;
    mutable.model = {
      id: this.spec.id,
      displayName: this.spec.displayName,
      folder: this.spec.folder,
      license: this.spec.license,
      fullDims: info.fullDims,
      matryoshkaDims: this.spec.matryoshkaDims,
      maxTokens: info.maxTokens,
      threads: info.threads,
      loadMs: info.loadMs,
    };
    this.logger[first ? 'info' : 'debug'](
      `embedding model ${this.spec.displayName} (${this.spec.folder}) loaded in ${Math.round(info.loadMs)} ms: ` +
        `${info.dims} of ${info.fullDims} dims, max ${info.maxTokens} tokens, ${info.threads} thread(s)`,
    );
  }

  /** Sends one request and waits for its reply; an error reply rejects with the rebuilt typed error. */
  private request(worker: Worker, request: WorkerRequest): Promise<WorkerResponse> {
    const id = this.nextRequestId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      if (this.exited.has(worker) || this.closing.has(worker)) {
        reject(
          new EmbeddingEngineError(
            'the embedding worker was stopped',
            this.disposed ? 'disposed' : 'worker-crashed',
          ),
        );
        return;
      }
      this.pending.set(id, {
        resolve: (response) =>
          response.type === 'error'
            ? reject(deserializeError(response.error, `embedding model ${this.spec.folder}`))
            : resolve(response),
        reject,
      });
      worker.ref(); // keep the process alive while work is outstanding, and only then
      worker.postMessage({ ...request, id });
    });
  }

  private scheduleIdleStop(): void {
    this.clearIdleTimer();
    if (this.idleTimeoutMs <= 0 || !this.worker || this.disposed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.pumping || this.pending.size > 0) return;
      this.logger.debug(`embedding worker idle for ${this.idleTimeoutMs} ms: stopping it to free memory`);
      void this.stopWorker();
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async stopWorker(error?: unknown): Promise<void> {
    const starting = this.workerStarting;
    const worker = this.worker;
    this.worker = undefined;
    for (const [, pending] of this.pending)
      pending.reject(error ?? new EmbeddingEngineError('the embedding worker was stopped', 'disposed'));
    this.pending.clear();
    if (worker) await this.closeWorker(worker);
    if (starting) await starting.then((w) => this.closeWorker(w)).catch(() => {});
  }

  /**
   * Asks the worker to finish its current batch, release the session and exit. Never `terminate()` a
   * worker inside onnxruntime's run: the native binding then aborts the whole process (seen here).
   */
  private closeWorker(worker: Worker, code = 0): Promise<void> {
    if (this.exited.has(worker)) return Promise.resolve();
    if (code === 0) this.closing.add(worker);
    return new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.ref();
      worker.postMessage({ type: 'close', id: 0, code } satisfies WorkerRequest);
    });
  }

  /** True while a worker (and the model's memory) is alive. For the status bar and tests. */
  get isWorkerRunning(): boolean {
    return this.worker !== undefined;
  }

  /** Tests only: makes the worker exit with an error code after its current batch, as a crash would. */
  crashWorkerForTesting(): void {
    if (this.worker) void this.closeWorker(this.worker, 70);
  }
}
