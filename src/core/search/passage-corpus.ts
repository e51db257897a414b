/**
 * The searchable form of the indexed paragraphs: slots holding paragraph records, a BM25 index over
 * their match text and a table of their vectors by content hash. Pure data and arithmetic: no files, no
 * embedding model (the caller embeds the query), so evaluation, the CLI and the index share one search.
 */
import { LRUCache } from 'lru-cache';
import type { SourceRange } from '../documents/model';
import { Analyzer } from './analyzer';
import { Bm25Index, PRODUCT_BM25, type Bm25Parameters, type LexicalScores } from './bm25';
import {
  bestPerDocument,
  DocumentBest,
  documentScoreOf,
  type DocumentEvidenceOptions,
} from './document-evidence';
import { relevanceModel, type FeedbackOptions } from './feedback';
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
  /** Pseudo-relevance feedback on the lexical side (lexical, hybrid); off when absent. */
  feedback?: FeedbackOptions;
  /** Document evidence (lexical, hybrid): see document-evidence.ts. Off when absent or of weight 0. */
  documents?: DocumentEvidenceOptions;
  /**
   * Which documents document evidence applies to (asked once per document per search); default all. The
   * index leaves out the drafter's specification: it is always the best match to its own claims, and its
   * paragraphs are ranked on their own match.
   */
  documentEvidenceFor?: (record: PassageRecord) => boolean;
  /**
   * Fill the words that explain each hit (`matchedTerms`, `feedbackTerms`) and `expansionTerms`; on
   * unless false (evaluation ranks only).
   */
  explain?: boolean;
}

export interface CorpusSearchResult {
  hits: PassageHit[];
  /** The words feedback added to the claim, most weight first; empty when it did not run. */
  expansionTerms: string[];
}

export class PassageCorpus {
  readonly lexical: Bm25Index;
  private readonly slots: (PassageRecord | undefined)[] = [];
  /** Per slot, the index of its document (`documentKey ?? uri`), for document evidence. */
  private documentOfSlot = new Int32Array(64);
  private readonly documents = new Map<string, { index: number; paragraphs: number }>();
  private readonly freeDocumentIndices: number[] = [];
  private documentIndices = 0;
  /**
   * Analysed terms of paragraphs feedback read recently: the same best paragraphs come back for the
   * claims of one application (the sidebar following the cursor, evaluation), and analysing them again
   * was the largest cost of feedback.
   */
  private readonly feedbackTerms = new LRUCache<number, readonly string[]>({ max: 4096 });
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
    bm25: Bm25Parameters = PRODUCT_BM25,
    /** Postings read from the cache (`Bm25Index.decodeSteps`): their slots are added with `preindexed`. */
    lexical?: Bm25Index,
  ) {
    this.lexical = lexical ?? new Bm25Index(bm25);
  }

  /** What the lexical index's postings depend on: stored postings built otherwise are not used. */
  get lexicalIdentity(): string {
    const { k1, b } = this.lexical.settings;
    return `${this.analyzer.identity};bm25 k1=${k1} b=${b}`;
  }

  get size(): number {
    return this.slots.length - this.freeSlots.length;
  }

  /**
   * Adds a paragraph (searchable lexically at once, densely once its hash has vectors). `preindexed`: the
   * lexical index already holds the slot it gets (postings loaded from the cache, in the same order);
   * throws if it does not.
   */
  add(record: PassageRecord, preindexed = false): number {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    if (preindexed && !this.lexical.has(slot)) throw new Error(`the stored postings have no slot ${slot}`);
    this.slots[slot] = record;
    this.slotsVersion++;
    this.attachDocument(slot, record);
    if (!preindexed) this.lexical.add(slot, this.analyzer.terms(record.matchText ?? record.text));
    return slot;
  }

  remove(slot: number): void {
    const record = this.slots[slot];
    if (!record) return;
    this.lexical.remove(slot, this.analyzer.terms(record.matchText ?? record.text));
    this.detachDocument(record);
    this.feedbackTerms.delete(slot);
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
    this.slotsVersion++;
  }

  record(slot: number): PassageRecord | undefined {
    return this.slots[slot];
  }

  private attachDocument(slot: number, record: PassageRecord): void {
    const key = record.documentKey ?? record.uri;
    let document = this.documents.get(key);
    if (!document) {
      document = { index: this.freeDocumentIndices.pop() ?? this.documentIndices++, paragraphs: 0 };
      this.documents.set(key, document);
    }
    document.paragraphs++;
    if (slot >= this.documentOfSlot.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.documentOfSlot.length * 2));
      grown.set(this.documentOfSlot);
      this.documentOfSlot = grown;
    }
    this.documentOfSlot[slot] = document.index;
  }

  private detachDocument(record: PassageRecord): void {
    const key = record.documentKey ?? record.uri;
    const document = this.documents.get(key);
    if (!document || --document.paragraphs > 0) return;
    this.documents.delete(key);
    this.freeDocumentIndices.push(document.index);
  }

  /** Search, synchronously (evaluation, small corpora); `timings` receives milliseconds per stage. */
  search(options: CorpusSearchOptions, timings: Record<string, number> = {}): CorpusSearchResult {
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
  ): Promise<CorpusSearchResult> {
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
      steps.return({ hits: [], expansionTerms: [] });
    }
  }

  private *searchSteps(
    options: CorpusSearchOptions,
    timings: Record<string, number>,
  ): Generator<void, CorpusSearchResult> {
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
  ): Generator<void, CorpusSearchResult> {
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
    timings.lexical = performance.now() - started;
    let expansion: Expansion | undefined;
    if (rawLexical && rawLexical.upperBound > 0 && options.feedback && options.feedback.weight > 0) {
      yield;
      started = performance.now();
      expansion = yield* this.expandQuery(queryTerms, rawLexical, n, accepted, options.feedback, scratch);
      timings.feedback = performance.now() - started;
    }
    started = performance.now();
    if (rawLexical && rawLexical.upperBound > 0) {
      const { scores, upperBound } = rawLexical;
      for (let slot = 0; slot < n; slot++) lexical[slot] = (scores[slot] as number) / upperBound;
    } else lexical.fill(0, 0, n);
    timings.lexical += performance.now() - started;
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
    const documents = mode === 'dense' ? undefined : options.documents;
    let evidence: DocumentEvidence | undefined;
    if (documents && documents.weight > 0) {
      evidence = this.documentEvidence(
        candidates,
        rank,
        shown,
        accepted,
        n,
        documents,
        options.documentEvidenceFor,
        scratch,
      );
      rank = evidence.rank;
      shown = evidence.shown;
    }
    const hitSlots = evidence?.candidates ?? candidates;
    timings.documents = performance.now() - started;
    yield;

    started = performance.now();
    const explain = options.explain ?? true;
    const queryTermSet = new Set(queryTerms);
    const added = expansion ? [...expansion.model.keys()].filter((term) => !queryTermSet.has(term)) : [];
    const addedSet = new Set(added);
    const hits: PassageHit[] = [];
    const minScore = options.minScore;
    const eligible =
      minScore === undefined ? undefined : (i: number): boolean => (shown[i] as number) >= minScore;
    for (const i of topIndices(rank, options.topK, eligible)) {
      const slot = hitSlots[i] as number;
      const record = this.slots[slot] as PassageRecord;
      const hit: PassageHit = {
        score: clamp01(shown[i] as number),
        uri: record.uri,
        documentLabel: record.documentLabel,
        role: options.roleOf(record),
        paragraphId: record.paragraphId,
        text: record.text,
        range: record.range,
        matchedTerms: [],
      };
      if (explain) {
        const words = this.explainedWords(record.text, queryTermSet, addedSet);
        hit.matchedTerms = words.shared;
        if (expansion) hit.feedbackTerms = words.added;
      }
      // NaN: a document evidence does not apply to (the specification).
      if (evidence && !Number.isNaN(evidence.otherShown[i] as number)) {
        hit.paragraphScore = clamp01(evidence.ownShown[i] as number);
        hit.documentScore = clamp01(evidence.otherShown[i] as number);
      }
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
    return {
      hits,
      expansionTerms: expansion && explain ? this.surfaceWords(added, expansion.paragraphs) : [],
    };
  }

  /**
   * RM3: reads the first pass's best paragraphs, builds their relevance model and rescores with the
   * expanded query, in place in `rawLexical` (raw BM25 of the query (1 − w) · claim/|claim| + w · model,
   * and its upper bound). Only the model's terms are scored again: the claim's part is the first pass,
   * scaled. Returns the model and the paragraphs it was read from.
   */
  private *expandQuery(
    queryTerms: readonly string[],
    rawLexical: LexicalScores,
    n: number,
    accepted: Uint8Array,
    feedback: FeedbackOptions,
    scratch: SearchScratch,
  ): Generator<void, Expansion> {
    const scores = rawLexical.scores;
    const best = topIndices(
      scores.subarray(0, n),
      feedback.paragraphs,
      (slot) => (scores[slot] as number) > 0,
    );
    const model = relevanceModel(
      best.map((slot) => {
        let terms = this.feedbackTerms.get(slot);
        if (!terms) {
          const record = this.slots[slot] as PassageRecord;
          terms = this.analyzer.terms(record.matchText ?? record.text);
          this.feedbackTerms.set(slot, terms);
        }
        return { terms, score: scores[slot] as number };
      }),
      feedback.terms,
      (term) => this.lexical.documentShare(term) <= feedback.maxDocumentShare,
    );
    if (model.size === 0) return { model, paragraphs: best };
    scratch.feedbackLexical.fill(0);
    const expanded = yield* this.lexical.scoreSteps(model, accepted, scratch.feedbackLexical);
    const claimShare = (1 - feedback.weight) / queryTerms.length;
    const modelShare = feedback.weight;
    const expandedScores = expanded.scores;
    for (let slot = 0; slot < n; slot++) {
      scores[slot] = claimShare * (scores[slot] as number) + modelShare * (expandedScores[slot] as number);
    }
    rawLexical.upperBound = claimShare * rawLexical.upperBound + modelShare * expanded.upperBound;
    return { model, paragraphs: best };
  }

  /**
   * Mixes into each candidate's score its document's score (`documentScoreOf`), and adds the document's
   * remaining accepted paragraphs as candidates (own score 0): a paragraph of a document that matches the
   * claim well is worth reading even when it shares no word with it.
   */
  private documentEvidence(
    candidates: Int32Array,
    rank: Float64Array,
    shown: Float64Array,
    accepted: Uint8Array,
    n: number,
    options: DocumentEvidenceOptions,
    appliesTo: ((record: PassageRecord) => boolean) | undefined,
    scratch: SearchScratch,
  ): DocumentEvidence {
    const { weight, from } = options;
    const documentOf = this.documentOfSlot;
    scratch.fitDocuments(this.documentIndices);
    // Per document: -1 not asked yet, 0 no, 1 yes.
    const applies = scratch.documentApplies.fill(-1, 0, this.documentIndices);
    const appliesToDocument = (document: number, slot: number): boolean => {
      if (!appliesTo) return true;
      let known = applies[document] as number;
      if (known === -1) {
        known = appliesTo(this.slots[slot] as PassageRecord) ? 1 : 0;
        applies[document] = known;
      }
      return known === 1;
    };
    const rankBest = bestPerDocument(candidates, rank, documentOf, this.documentIndices, scratch.rankBest);
    const shownBest =
      shown === rank
        ? rankBest
        : bestPerDocument(candidates, shown, documentOf, this.documentIndices, scratch.shownBest);
    const isCandidate = scratch.isCandidate.fill(0, 0, n);
    const all = scratch.evidenceCandidates;
    const ownShown = scratch.ownShown;
    const otherShown = scratch.otherShown;
    const finalRank = scratch.evidenceRank;
    const finalShown = scratch.evidenceShown;
    const count = candidates.length;
    for (let i = 0; i < count; i++) {
      const slot = candidates[i] as number;
      isCandidate[slot] = 1;
      all[i] = slot;
      const document = documentOf[slot] as number;
      ownShown[i] = shown[i] as number;
      if (!appliesToDocument(document, slot)) {
        otherShown[i] = NaN;
        finalRank[i] = rank[i] as number;
        finalShown[i] = shown[i] as number;
        continue;
      }
      const otherRank = documentScoreOf(rankBest, document, slot, from);
      const other = shownBest === rankBest ? otherRank : documentScoreOf(shownBest, document, slot, from);
      otherShown[i] = other;
      finalRank[i] = (1 - weight) * (rank[i] as number) + weight * otherRank;
      finalShown[i] = (1 - weight) * (shown[i] as number) + weight * other;
    }
    let total = count;
    for (let slot = 0; slot < n; slot++) {
      if (accepted[slot] !== 1 || isCandidate[slot] === 1) continue;
      const document = documentOf[slot] as number;
      const bestRank = rankBest.best[document] as number;
      if (!(bestRank > 0) || !appliesToDocument(document, slot)) continue;
      all[total] = slot;
      ownShown[total] = 0;
      otherShown[total] = shownBest.best[document] as number;
      finalRank[total] = weight * bestRank;
      finalShown[total] = weight * (shownBest.best[document] as number);
      total++;
    }
    return {
      candidates: all.subarray(0, total),
      rank: finalRank.subarray(0, total),
      shown: finalShown.subarray(0, total),
      ownShown,
      otherShown,
    };
  }

  /** One display word per term (the first form met in the feedback paragraphs, lower-cased), in order. */
  private surfaceWords(terms: readonly string[], slots: readonly number[]): string[] {
    const wanted = new Set(terms);
    const found = new Map<string, string>();
    for (const slot of slots) {
      const record = this.slots[slot];
      if (!record) continue;
      for (const token of this.analyzer.tokens(record.text)) {
        if (wanted.has(token.term) && !found.has(token.term))
          found.set(token.term, record.text.slice(token.start, token.end).toLowerCase());
      }
      if (found.size === wanted.size) break;
    }
    return terms.map((term) => found.get(term) ?? term);
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

  /**
   * The words of `text` whose analysed form is a claim term (`shared`) or a term feedback added
   * (`added`), once each, in text order: one pass over the text for both.
   */
  private explainedWords(
    text: string,
    claimTerms: ReadonlySet<string>,
    addedTerms: ReadonlySet<string>,
  ): { shared: string[]; added: string[] } {
    const seen = new Set<string>();
    const shared: string[] = [];
    const added: string[] = [];
    for (const token of this.analyzer.tokens(text)) {
      const list = claimTerms.has(token.term) ? shared : addedTerms.has(token.term) ? added : undefined;
      if (!list) continue;
      const word = text.slice(token.start, token.end);
      const key = word.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(word);
    }
    return { shared, added };
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
  /** The expanded query's model terms, raw BM25 per slot (`Bm25Index.capacity` long). */
  feedbackLexical = new Float64Array(0);
  // Document evidence: per candidate (room for every slot) ...
  isCandidate = new Uint8Array(0);
  evidenceCandidates = new Int32Array(0);
  evidenceRank = new Float64Array(0);
  evidenceShown = new Float64Array(0);
  ownShown = new Float64Array(0);
  otherShown = new Float64Array(0);
  // ... and per document.
  rankBest = new DocumentBest(0);
  shownBest = new DocumentBest(0);
  documentApplies = new Int8Array(0);

  fitDocuments(documents: number): void {
    if (this.rankBest.best.length >= documents) return;
    const size = Math.ceil(documents * 1.125) + 8;
    this.rankBest = new DocumentBest(size);
    this.shownBest = new DocumentBest(size);
    this.documentApplies = new Int8Array(size);
  }

  fit(slots: number, lexicalCapacity: number): void {
    if (this.rawLexical.length < lexicalCapacity) {
      this.rawLexical = new Float64Array(lexicalCapacity);
      this.feedbackLexical = new Float64Array(lexicalCapacity);
    }
    if (this.accepted.length >= slots) return;
    const size = Math.max(slots, Math.ceil(slots * 1.125));
    this.accepted = new Uint8Array(size);
    this.lexical = new Float64Array(size);
    this.dense = new Float64Array(size);
    this.candidates = new Int32Array(size);
    this.candidateDense = new Float64Array(size);
    this.candidateLexical = new Float64Array(size);
    this.rank = new Float64Array(size);
    this.isCandidate = new Uint8Array(size);
    this.evidenceCandidates = new Int32Array(size);
    this.evidenceRank = new Float64Array(size);
    this.evidenceShown = new Float64Array(size);
    this.ownShown = new Float64Array(size);
    this.otherShown = new Float64Array(size);
  }
}

interface Expansion {
  /** Term → weight, summing to 1. */
  model: Map<string, number>;
  /** The slots the model was read from. */
  paragraphs: number[];
}

interface DocumentEvidence {
  /** Slots: the earlier candidates first (same order), then the added paragraphs of matched documents. */
  candidates: Int32Array;
  rank: Float64Array;
  shown: Float64Array;
  /** Per candidate: its own shown score and its document's score (NaN where evidence does not apply). */
  ownShown: Float64Array;
  otherShown: Float64Array;
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
