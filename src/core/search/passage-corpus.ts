/**
 * The searchable form of the indexed paragraphs: slots holding paragraph records, a BM25 index over
 * their match text and a table of their vectors by content hash. Pure data and arithmetic: no files, no
 * embedding model (the caller embeds the query), so evaluation, the CLI and the index share one search.
 */
import type { SourceRange } from '../documents/model';
import { Analyzer } from './analyzer';
import { Bm25Index } from './bm25';
import { DEFAULT_FUSION, fuse, type FusionCandidate, type FusionOptions } from './fusion';
import type { DocumentRole, PassageHit, SearchMode } from './types';
import { VectorTable } from './vector-table';

export interface PassageRecord {
  uri: string;
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
  /** Query text for BM25 and for highlighting. */
  queryText: string;
  accept?: (record: PassageRecord) => boolean;
  roleOf: (record: PassageRecord) => DocumentRole;
  fusion?: FusionOptions;
  /** Element-wise matching: one vector (and text) per claim element. */
  elements?: { text: string; vector: Float32Array }[];
  /** Weight of the element score in the ranking when elements are given, in [0, 1]. */
  elementWeight?: number;
}

export class PassageCorpus {
  readonly lexical = new Bm25Index();
  private readonly slots: (PassageRecord | undefined)[] = [];
  private readonly freeSlots: number[] = [];

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
    this.lexical.add(slot, this.analyzer.terms(record.matchText ?? record.text));
    return slot;
  }

  remove(slot: number): void {
    const record = this.slots[slot];
    if (!record) return;
    this.lexical.remove(slot, this.analyzer.terms(record.matchText ?? record.text));
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
  }

  record(slot: number): PassageRecord | undefined {
    return this.slots[slot];
  }

  /** Search; `timings` receives milliseconds per stage. */
  search(options: CorpusSearchOptions, timings: Record<string, number> = {}): PassageHit[] {
    const { mode } = options;
    const accepted = (slot: number): boolean => {
      const record = this.slots[slot];
      return record !== undefined && (!options.accept || options.accept(record));
    };

    let started = performance.now();
    const queryTerms = this.analyzer.terms(options.queryText);
    const lexicalBySlot = new Map<number, number>();
    const rawLexicalBySlot = new Map<number, number>();
    if (mode !== 'dense') {
      for (const hit of this.lexical.search(queryTerms, accepted)) {
        lexicalBySlot.set(hit.slot, hit.normalized);
        rawLexicalBySlot.set(hit.slot, hit.score);
      }
    }
    timings.lexical = performance.now() - started;

    started = performance.now();
    const denseBySlot = new Map<number, number>();
    if (mode !== 'lexical' && options.queryVector) {
      const rowScores = this.vectors.scoreAll(options.queryVector);
      for (let slot = 0; slot < this.slots.length; slot++) {
        if (!accepted(slot)) continue;
        const score = this.vectors.bestOf(rowScores, (this.slots[slot] as PassageRecord).hash);
        if (score !== undefined) denseBySlot.set(slot, score);
      }
    }
    timings.dense = performance.now() - started;

    started = performance.now();
    let elementScores: Map<number, number[]> | undefined;
    if (options.elements?.length && mode !== 'lexical') {
      elementScores = new Map();
      const perElement = options.elements.map((e) => this.vectors.scoreAll(e.vector));
      for (const slot of denseBySlot.keys()) {
        const hash = (this.slots[slot] as PassageRecord).hash;
        elementScores.set(
          slot,
          perElement.map((rows) => Math.max(0, this.vectors.bestOf(rows, hash) ?? 0)),
        );
      }
    }
    timings.elements = performance.now() - started;

    started = performance.now();
    const candidates = new Set<number>(mode === 'lexical' ? lexicalBySlot.keys() : denseBySlot.keys());
    if (mode === 'hybrid') for (const slot of lexicalBySlot.keys()) candidates.add(slot);
    const slots = [...candidates];
    const ranking = this.rank(slots, mode, denseBySlot, lexicalBySlot, elementScores, options);
    const order = slots.map((slot, i) => ({
      slot,
      rank: ranking.rank[i] ?? 0,
      shown: ranking.shown[i] ?? 0,
    }));
    order.sort((a, b) => b.rank - a.rank || a.slot - b.slot);
    const hits: PassageHit[] = [];
    for (const entry of order) {
      if (hits.length >= options.topK) break;
      if (options.minScore !== undefined && entry.shown < options.minScore) continue;
      const record = this.slots[entry.slot] as PassageRecord;
      const hit: PassageHit = {
        score: clamp01(entry.shown),
        uri: record.uri,
        documentLabel: record.documentLabel,
        role: options.roleOf(record),
        paragraphId: record.paragraphId,
        text: record.text,
        range: record.range,
        matchedTerms: [],
      };
      if (record.paragraphNumber !== undefined) hit.paragraphNumber = record.paragraphNumber;
      const dense = denseBySlot.get(entry.slot);
      if (dense !== undefined) hit.denseScore = dense;
      if (mode !== 'dense') hit.lexicalScore = rawLexicalBySlot.get(entry.slot) ?? 0;
      hit.matchedTerms = this.matchedTerms(queryTerms, record.text);
      const elements = elementScores?.get(entry.slot);
      if (elements && options.elements) {
        hit.elementMatches = options.elements.map((e, i) => ({ element: e.text, score: elements[i] ?? 0 }));
      }
      hits.push(hit);
    }
    timings.fuse = performance.now() - started;
    return hits;
  }

  /**
   * Two numbers per candidate: `rank` orders, `shown` is displayed. They differ only in hybrid, where the
   * order comes from the fusion and the shown score is the stable linear mix documented in docs/search.md.
   */
  private rank(
    slots: number[],
    mode: SearchMode,
    dense: Map<number, number>,
    lexical: Map<number, number>,
    elements: Map<number, number[]> | undefined,
    options: CorpusSearchOptions,
  ): { rank: Float64Array; shown: Float64Array } {
    const fusion = options.fusion ?? DEFAULT_FUSION;
    const elementWeight = elements ? (options.elementWeight ?? 0.3) : 0;
    const elementMean = (slot: number): number => {
      const list = elements?.get(slot);
      return list?.length ? list.reduce((a, b) => a + b, 0) / list.length : 0;
    };
    const shown = new Float64Array(slots.length);
    let rank: Float64Array;
    if (mode === 'lexical') {
      slots.forEach((slot, i) => (shown[i] = lexical.get(slot) ?? 0));
      rank = shown;
    } else if (mode === 'dense') {
      slots.forEach((slot, i) => {
        const cosine = Math.max(0, dense.get(slot) ?? 0);
        shown[i] = (1 - elementWeight) * cosine + elementWeight * elementMean(slot);
      });
      rank = shown;
    } else {
      const candidates: FusionCandidate[] = slots.map((slot) => ({
        dense: dense.get(slot),
        lexical: lexical.get(slot) ?? 0,
      }));
      rank = fuse(candidates, fusion);
      const stable = fuse(candidates, { ...fusion, method: 'linear' });
      slots.forEach((slot, i) => {
        shown[i] = stable[i] ?? 0;
        if (elementWeight > 0) {
          const e = elementMean(slot);
          rank[i] = (1 - elementWeight) * (rank[i] ?? 0) + elementWeight * e;
          shown[i] = (1 - elementWeight) * (shown[i] ?? 0) + elementWeight * e;
        }
      });
    }
    return { rank, shown };
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

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
