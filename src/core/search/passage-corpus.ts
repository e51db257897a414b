/**
 * The searchable form of the indexed paragraphs: slots holding paragraph records, a BM25 index over
 * their match text and a table of their vectors by content hash. Pure data and arithmetic: no files, no
 * embedding model (the caller embeds the query), so evaluation, the CLI and the index share one search.
 */
import type { SourceRange } from '../documents/model';
import { Analyzer } from './analyzer';
import { Bm25Index, type LexicalScores } from './bm25';
import { DEFAULT_FUSION, fuse, linearMix, type FusionOptions } from './fusion';
import type { DocumentRole, PassageHit, SearchMode } from './types';
import { VectorTable } from './vector-table';

export interface PassageRecord {
  uri: string;
  /** The document's identity when it is one of several in its file (a bulk file); else the uri is. */
  documentKey?: string;
  documentLabel: string;
  paragraphId: string;
  paragraphNumber?: string;
  text: string;
  /** What BM25 and the embedder see (reference signs stripped); equals `text` when absent. */
  matchText?: string;
  range: SourceRange;
  /** Content hash of the embedded text: the key of the paragraph's vectors. */
  hash: string;
}

export interface CorpusSearchOptions {
  mode: SearchMode;
  topK: number;
  minScore?: number;
  /** Claim vector (normalised); required for dense and hybrid. */
  queryVector?: Float32Array;
  /** `vectors.scoreAllSliced(queryVector)`, when the caller computed it without blocking... */
  queryRowScores?: Float32Array;
  /** ...at this `vectors.version` (rows may have moved since; then they are scored again). */
  rowScoresVersion?: number;
  /** Query text for BM25 and for highlighting. */
  queryText: string;
  accept?: (record: PassageRecord) => boolean;
  roleOf: (record: PassageRecord) => DocumentRole;
  fusion?: FusionOptions;
  /** Element-wise matching: one vector (and text) per claim element; `rowScores` as for the query. */
  elements?: { text: string; vector: Float32Array; rowScores?: Float32Array }[];
  /** Weight of the element score in the ranking when elements are given, in [0, 1]. */
  elementWeight?: number;
}

export class PassageCorpus {
  readonly lexical = new Bm25Index();
  private readonly slots: (PassageRecord | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private slotsVersion = 0;
  private positions: SlotPositions | undefined;
  private positionsVersion = -1;
  private positionsSlots = -1;
  /**
   * Scratch arrays of a finished search, kept for the next one: a 100k search needs ~6 MB of them, and
   * allocating them anew per query made the collector stall the event loop (docs/notes/issue-6.md).
   * One spare: searches that overlap (sliced ones can) take a fresh set.
   */
  private spareScratch: SearchScratch | undefined;

  constructor(
    dims: number,
    readonly analyzer = new Analyzer(),
    /** Vectors by content hash: a loaded table, or an empty one. */
    readonly vectors = new VectorTable(dims),
  ) {}

  get size(): number {
    return this.slots.length - this.freeSlots.length;
  }

  /** Adds a paragraph (searchable lexically at once, densely once its hash has vectors). */
  add(record: PassageRecord): number {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    this.slots[slot] = record;
    this.slotsVersion++;
    this.lexical.add(slot, this.analyzer.terms(record.matchText ?? record.text));
    return slot;
  }

  remove(slot: number): void {
    const record = this.slots[slot];
    if (!record) return;
    this.lexical.remove(slot, this.analyzer.terms(record.matchText ?? record.text));
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
    this.slotsVersion++;
  }

  record(slot: number): PassageRecord | undefined {
    return this.slots[slot];
  }

  /** Search, synchronously (evaluation, small corpora); `timings` receives milliseconds per stage. */
  search(options: CorpusSearchOptions, timings: Record<string, number> = {}): PassageHit[] {
    const steps = this.searchSteps(options, timings);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /**
   * The same search, yielding to the event loop between stages, so that each blocking stretch is one
   * stage over the corpus (a few ms at 100k paragraphs), never the whole search.
   */
  async searchSliced(
    options: CorpusSearchOptions,
    timings: Record<string, number> = {},
    signal?: AbortSignal,
  ): Promise<PassageHit[]> {
    if (options.mode !== 'lexical') await this.slotPositionsSliced(signal);
    const steps = this.searchSteps(options, timings);
    try {
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) return step.value;
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
    } finally {
      // An aborted search still hands its scratch arrays back (runs the generator's `finally`).
      steps.return([]);
    }
  }

  private *searchSteps(
    options: CorpusSearchOptions,
    timings: Record<string, number>,
  ): Generator<void, PassageHit[]> {
    const scratch = this.spareScratch ?? new SearchScratch();
    this.spareScratch = undefined;
    try {
      return yield* this.searchStepsWith(options, timings, scratch);
    } finally {
      this.spareScratch ??= scratch;
    }
  }

  private *searchStepsWith(
    options: CorpusSearchOptions,
    timings: Record<string, number>,
    scratch: SearchScratch,
  ): Generator<void, PassageHit[]> {
    const { mode } = options;
    const n = this.slots.length;
    let started = performance.now();
    scratch.fit(n, this.lexical.capacity);
    const accepted = scratch.accepted;
    for (let slot = 0; slot < n; slot++) {
      const record = this.slots[slot];
      accepted[slot] = record !== undefined && (!options.accept || options.accept(record)) ? 1 : 0;
    }
    timings.filter = performance.now() - started;
    yield;

    started = performance.now();
    const queryTerms = this.analyzer.terms(options.queryText);
    const lexical = scratch.lexical;
    let rawLexical: LexicalScores | undefined;
    if (mode !== 'dense') {
      scratch.rawLexical.fill(0);
      rawLexical = yield* this.lexical.scoreSteps(queryTerms, accepted, scratch.rawLexical);
    }
    if (rawLexical && rawLexical.upperBound > 0) {
      const { scores, upperBound } = rawLexical;
      for (let slot = 0; slot < n; slot++) lexical[slot] = (scores[slot] as number) / upperBound;
    } else lexical.fill(0, 0, n);
    timings.lexical = performance.now() - started;
    yield;

    started = performance.now();
    const dense = scratch.dense.fill(NaN, 0, n);
    const useDense = mode !== 'lexical' && options.queryVector !== undefined;
    const positions = useDense ? this.slotPositions() : undefined;
    if (useDense && positions) {
      const fresh = options.rowScoresVersion === this.vectors.version;
      const rowScores =
        fresh && options.queryRowScores
          ? options.queryRowScores
          : this.vectors.scoreAll(options.queryVector as Float32Array);
      for (let slot = 0; slot < n; slot++) {
        if (accepted[slot] === 1) dense[slot] = bestRow(rowScores, positions, slot);
      }
    }
    timings.dense = performance.now() - started;
    yield;

    started = performance.now();
    // Candidates: passages with a vector (dense, hybrid) or with a matching term (lexical, hybrid).
    let count = 0;
    const candidateSlots = scratch.candidates;
    for (let slot = 0; slot < n; slot++) {
      if (accepted[slot] !== 1) continue;
      const hasDense = !Number.isNaN(dense[slot] as number);
      const hasLexical = (lexical[slot] as number) > 0;
      if (mode === 'lexical' ? hasLexical : mode === 'dense' ? hasDense : hasDense || hasLexical) {
        candidateSlots[count++] = slot;
      }
    }
    const candidates = candidateSlots.subarray(0, count);
    // Plain loops over typed arrays: Float64Array.from(array, fn) was the slowest step at 100k.
    const candidateDense = scratch.candidateDense.subarray(0, count);
    const candidateLexical = scratch.candidateLexical.subarray(0, count);
    for (let i = 0; i < count; i++) {
      const slot = candidates[i] as number;
      candidateDense[i] = dense[slot] as number;
      candidateLexical[i] = lexical[slot] as number;
    }
    const fusion = options.fusion ?? DEFAULT_FUSION;
    let rank: Float64Array;
    let shown: Float64Array;
    if (mode === 'lexical') rank = shown = candidateLexical;
    else if (mode === 'dense') {
      rank = shown = scratch.rank.subarray(0, count);
      for (let i = 0; i < count; i++) rank[i] = Math.max(0, candidateDense[i] as number);
    } else {
      rank = fuse(candidateDense, candidateLexical, fusion, scratch.rank.subarray(0, count));
      shown =
        fusion.method === 'linear'
          ? rank
          : candidateDense.map((d, i) => linearMix(d, candidateLexical[i] as number, fusion.denseWeight));
    }

    timings.fuse = performance.now() - started;
    yield;

    // Element-wise matching re-weighs the best candidates only: it explains and fine-tunes the order.
    started = performance.now();
    let elementScores: Map<number, number[]> | undefined;
    const elementWeight = options.elementWeight ?? 0.2;
    if (options.elements?.length && mode !== 'lexical' && positions) {
      const pool = new Set(topIndices(rank, Math.max(options.topK * 5, 50)));
      const fresh = options.rowScoresVersion === this.vectors.version;
      const perElement = options.elements.map(
        (e) => (fresh && e.rowScores) || this.vectors.scoreAll(e.vector),
      );
      elementScores = new Map();
      rank = Float64Array.from(rank);
      shown = Float64Array.from(shown);
      for (let i = 0; i < rank.length; i++) {
        if (!pool.has(i)) {
          // Outside the pool: no element score, so lowered by the same factor (cannot overtake).
          rank[i] = (1 - elementWeight) * (rank[i] as number);
          shown[i] = (1 - elementWeight) * (shown[i] as number);
          continue;
        }
        const slot = candidates[i] as number;
        const scores = perElement.map((rows) => Math.max(0, bestRow(rows, positions, slot) || 0));
        elementScores.set(slot, scores);
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        rank[i] = (1 - elementWeight) * (rank[i] as number) + elementWeight * mean;
        shown[i] = (1 - elementWeight) * (shown[i] as number) + elementWeight * mean;
      }
    }
    timings.elements = performance.now() - started;
    yield;

    started = performance.now();
    const hits: PassageHit[] = [];
    const minScore = options.minScore;
    const eligible =
      minScore === undefined ? undefined : (i: number): boolean => (shown[i] as number) >= minScore;
    for (const i of topIndices(rank, options.topK, eligible)) {
      const slot = candidates[i] as number;
      const record = this.slots[slot] as PassageRecord;
      const hit: PassageHit = {
        score: clamp01(shown[i] as number),
        uri: record.uri,
        documentLabel: record.documentLabel,
        role: options.roleOf(record),
        paragraphId: record.paragraphId,
        text: record.text,
        range: record.range,
        matchedTerms: this.matchedTerms(queryTerms, record.text),
      };
      if (record.paragraphNumber !== undefined) hit.paragraphNumber = record.paragraphNumber;
      if (record.documentKey !== undefined) hit.documentKey = record.documentKey;
      if (!Number.isNaN(dense[slot] as number)) hit.denseScore = dense[slot] as number;
      if (rawLexical) hit.lexicalScore = rawLexical.scores[slot] as number;
      const elements = elementScores?.get(slot);
      if (elements && options.elements) {
        hit.elementMatches = options.elements.map((e, k) => ({ element: e.text, score: elements[k] ?? 0 }));
      }
      hits.push(hit);
    }
    timings.rank = performance.now() - started;
    return hits;
  }

  /** Per slot, where its vectors are (first row, row count; count 0 = none yet). Cached per version. */
  private slotPositions(): SlotPositions {
    const steps = this.buildSlotPositions();
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /** `slotPositions` in slices: after a load or an update, the first search rebuilds it for every slot. */
  private async slotPositionsSliced(signal?: AbortSignal): Promise<void> {
    const steps = this.buildSlotPositions();
    for (let step = steps.next(); !step.done; step = steps.next()) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
  }

  private *buildSlotPositions(): Generator<void, SlotPositions> {
    for (;;) {
      if (
        this.positions &&
        this.positionsVersion === this.vectors.version &&
        this.positionsSlots === this.slotsVersion
      ) {
        return this.positions;
      }
      const vectorsVersion = this.vectors.version;
      const slotsVersion = this.slotsVersion;
      const n = this.slots.length;
      const firstRow = new Int32Array(n);
      const rowCount = new Uint16Array(n);
      let changed = false;
      for (let slot = 0; slot < n && !changed; slot++) {
        if ((slot & 8191) === 8191) {
          yield;
          // Something changed while we yielded: start over.
          changed = this.vectors.version !== vectorsVersion || this.slotsVersion !== slotsVersion;
        }
        const record = this.slots[slot];
        const entry = record ? this.vectors.get(record.hash) : undefined;
        if (entry) {
          firstRow[slot] = entry.firstRow;
          rowCount[slot] = entry.rowCount;
        }
      }
      if (changed) continue;
      this.positions = { firstRow, rowCount };
      this.positionsVersion = vectorsVersion;
      this.positionsSlots = slotsVersion;
      return this.positions;
    }
  }

  /** The words of `text` whose analysed form is a query term, once each, in text order. */
  private matchedTerms(queryTerms: readonly string[], text: string): string[] {
    const wanted = new Set(queryTerms);
    const seen = new Set<string>();
    const words: string[] = [];
    for (const token of this.analyzer.tokens(text)) {
      if (!wanted.has(token.term)) continue;
      const word = text.slice(token.start, token.end);
      const key = word.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      words.push(word);
    }
    return words;
  }
}

/**
 * The per-search arrays over all slots, grown with some headroom and reused by the next search.
 * Every search writes each entry it reads (the raw BM25 array is zeroed before scoring).
 */
class SearchScratch {
  accepted = new Uint8Array(0);
  /** Raw BM25 per slot (`Bm25Index.capacity` long). */
  rawLexical = new Float64Array(0);
  lexical = new Float64Array(0);
  dense = new Float64Array(0);
  candidates = new Int32Array(0);
  candidateDense = new Float64Array(0);
  candidateLexical = new Float64Array(0);
  rank = new Float64Array(0);

  fit(slots: number, lexicalCapacity: number): void {
    if (this.rawLexical.length < lexicalCapacity) this.rawLexical = new Float64Array(lexicalCapacity);
    if (this.accepted.length >= slots) return;
    const size = Math.max(slots, Math.ceil(slots * 1.125));
    this.accepted = new Uint8Array(size);
    this.lexical = new Float64Array(size);
    this.dense = new Float64Array(size);
    this.candidates = new Int32Array(size);
    this.candidateDense = new Float64Array(size);
    this.candidateLexical = new Float64Array(size);
    this.rank = new Float64Array(size);
  }
}

interface SlotPositions {
  firstRow: Int32Array;
  rowCount: Uint16Array;
}

/** The best score among a slot's rows; NaN when it has no vector yet. */
function bestRow(rowScores: Float32Array, positions: SlotPositions, slot: number): number {
  const count = positions.rowCount[slot] as number;
  if (count === 0) return NaN;
  const first = positions.firstRow[slot] as number;
  let best = rowScores[first] as number;
  for (let row = first + 1; row < first + count; row++) best = Math.max(best, rowScores[row] as number);
  return best;
}

/**
 * Indices of the `k` largest values, best first (ties: lower index first), optionally only those
 * passing `eligible`. A bounded heap: O(n log k), no full sort of 100k candidates.
 */
function topIndices(values: Float64Array, k: number, eligible?: (i: number) => boolean): number[] {
  const better = (a: number, b: number): boolean => {
    const va = values[a] as number;
    const vb = values[b] as number;
    return va > vb || (va === vb && a < b);
  };
  // A heap whose root is the worst of the best k so far.
  const heap: number[] = [];
  const swap = (i: number, j: number): void => {
    const t = heap[i] as number;
    heap[i] = heap[j] as number;
    heap[j] = t;
  };
  for (let i = 0; i < values.length && k > 0; i++) {
    if (eligible && !eligible(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0;) {
        const p = (c - 1) >> 1;
        if (!better(heap[p] as number, heap[c] as number)) break;
        swap(p, c);
        c = p;
      }
    } else if (better(i, heap[0] as number)) {
      heap[0] = i;
      for (let p = 0; ;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let worst = p;
        if (l < heap.length && better(heap[worst] as number, heap[l] as number)) worst = l;
        if (r < heap.length && better(heap[worst] as number, heap[r] as number)) worst = r;
        if (worst === p) break;
        swap(p, worst);
        p = worst;
      }
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1));
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
