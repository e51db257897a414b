/**
 * An incremental BM25 index over numbered passages ("slots"). Postings are packed typed arrays so 100k
 * paragraphs fit in tens of MB. Removing a slot bumps its generation, which turns its postings stale; a
 * term's list is compacted once half of it is stale.
 */

export interface Bm25Parameters {
  k1: number;
  b: number;
}

/** k1 = 1.2, b = 0.75: the classic values, as in the task's baseline. */
export const BASELINE_BM25: Bm25Parameters = { k1: 1.2, b: 0.75 };

/**
 * What the product ranks with: with feedback and document evidence on, grouped cross-validation chose
 * k1 0.9, b 0.9 in every fold (docs/notes/issue-11.md). Less saturation of repeated terms and more length
 * normalisation suit long claims against paragraphs of very different lengths.
 */
export const PRODUCT_BM25: Bm25Parameters = { k1: 0.9, b: 0.9 };

class Postings {
  slots = new Int32Array(2);
  freqs = new Uint16Array(2);
  generations = new Uint32Array(2);
  length = 0;
  /** Live entries: the term's document frequency. */
  live = 0;

  push(slot: number, freq: number, generation: number): void {
    if (this.length === this.slots.length) this.grow(this.length * 2);
    this.slots[this.length] = slot;
    this.freqs[this.length] = Math.min(freq, 0xffff);
    this.generations[this.length] = generation;
    this.length++;
    this.live++;
  }

  compact(currentGeneration: Uint32Array): void {
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const slot = this.slots[i] ?? 0;
      if (this.generations[i] !== currentGeneration[slot]) continue;
      this.slots[kept] = slot;
      this.freqs[kept] = this.freqs[i] ?? 0;
      this.generations[kept] = this.generations[i] ?? 0;
      kept++;
    }
    this.length = kept;
    if (this.slots.length > 8 && kept < this.slots.length / 4) this.grow(Math.max(2, kept * 2));
  }

  private grow(capacity: number): void {
    const slots = new Int32Array(capacity);
    slots.set(this.slots.subarray(0, this.length));
    const freqs = new Uint16Array(capacity);
    freqs.set(this.freqs.subarray(0, this.length));
    const generations = new Uint32Array(capacity);
    generations.set(this.generations.subarray(0, this.length));
    this.slots = slots;
    this.freqs = freqs;
    this.generations = generations;
  }
}

/**
 * A query: its analysed terms, repeats kept (a repeated claim term weighs more, as in the baseline), or
 * each term with its weight (an expanded query).
 */
export type QueryTerms = readonly string[] | ReadonlyMap<string, number>;

export interface LexicalHit {
  slot: number;
  /** Raw BM25. */
  score: number;
  /** BM25 divided by this query's upper bound Σ idf·(k1+1): in [0, 1), comparable across passages. */
  normalized: number;
}

export interface LexicalScores {
  /** Raw BM25 per slot (0 where no query term occurs). */
  scores: Float64Array;
  /** The slots with a score, in the order first touched. */
  touched: number[];
  /** Σ weight·idf·(k1+1) over the query terms: divide by it to normalise. */
  upperBound: number;
}

export class Bm25Index {
  private readonly postings = new Map<string, Postings>();
  /** Per slot: number of terms, or -1 when the slot is empty. */
  private lengths = new Int32Array(64).fill(-1);
  /** Per slot: bumped on removal so the slot's old postings read as stale. */
  private generations = new Uint32Array(64);
  private liveCount = 0;
  private totalLength = 0;

  constructor(private readonly parameters: Bm25Parameters = BASELINE_BM25) {}

  get size(): number {
    return this.liveCount;
  }

  has(slot: number): boolean {
    return (this.lengths[slot] ?? -1) >= 0;
  }

  add(slot: number, terms: readonly string[]): void {
    if (this.has(slot)) throw new Error(`BM25 slot ${slot} is in use`);
    this.ensureCapacity(slot + 1);
    const generation = this.generations[slot] ?? 0;
    for (const [term, count] of countTerms(terms)) {
      let list = this.postings.get(term);
      if (!list) {
        list = new Postings();
        this.postings.set(term, list);
      }
      list.push(slot, count, generation);
    }
    this.lengths[slot] = terms.length;
    this.liveCount++;
    this.totalLength += terms.length;
  }

  /** Removes a slot; `terms` are the terms it was added with (keeps document frequencies exact). */
  remove(slot: number, terms: readonly string[]): void {
    const length = this.lengths[slot] ?? -1;
    if (length < 0) return;
    this.lengths[slot] = -1;
    this.generations[slot] = ((this.generations[slot] ?? 0) + 1) >>> 0;
    this.liveCount--;
    this.totalLength -= length;
    for (const term of countTerms(terms).keys()) {
      const list = this.postings.get(term);
      if (!list) continue;
      list.live--;
      if (list.live <= 0) this.postings.delete(term);
      else if (list.live < list.length / 2) list.compact(this.generations);
    }
  }

  /** The share of live slots holding the term, in [0, 1]. */
  documentShare(term: string): number {
    return this.liveCount === 0 ? 0 : (this.postings.get(term)?.live ?? 0) / this.liveCount;
  }

  /** Inverse document frequency (Lucene's form, never negative); 0 for an unknown term. */
  idf(term: string): number {
    const df = this.postings.get(term)?.live ?? 0;
    if (df === 0) return 0;
    return Math.log(1 + (this.liveCount - df + 0.5) / (df + 0.5));
  }

  /**
   * Scores every live slot containing a query term, each term weighted by its count or given weight.
   * `accept` filters slots before scoring.
   */
  search(queryTerms: QueryTerms, accept?: (slot: number) => boolean): LexicalHit[] {
    const result = this.scoreInto(queryTerms, accept ? (slot) => accept(slot) : undefined);
    const hits: LexicalHit[] = [];
    for (const slot of result.touched) {
      const score = result.scores[slot] ?? 0;
      hits.push({ slot, score, normalized: result.upperBound > 0 ? score / result.upperBound : 0 });
    }
    return hits;
  }

  /**
   * The fast form of `search`: raw BM25 per slot in a dense array (0 where no term matched), the
   * touched slots, and the query's upper bound Σ idf·(k1+1) (divide by it to normalise). `mask`, when
   * given, is 1 for slots that may be scored.
   */
  scoreInto(queryTerms: QueryTerms, accept?: ((slot: number) => boolean) | Uint8Array): LexicalScores {
    const steps = this.scoreSteps(queryTerms, accept);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /** Slots the index can hold without growing: the length a score array must have. */
  get capacity(): number {
    return this.lengths.length;
  }

  /**
   * `scoreInto` as a generator that pauses (yields) after every ~64k postings, so a caller can give the
   * event loop a turn while scoring common terms over 100k paragraphs. `into`, when given, is an
   * all-zero array of at least `capacity` entries that is scored into and returned as `scores` (a
   * caller that reuses it zeroes it again); `touched` is then left empty, the caller scans its slots.
   */
  *scoreSteps(
    queryTerms: QueryTerms,
    accept?: ((slot: number) => boolean) | Uint8Array,
    into?: Float64Array,
  ): Generator<void, LexicalScores> {
    let sinceYield = 0;
    if (into && into.length < this.lengths.length) throw new Error('BM25 score array too short');
    const scores = into ?? new Float64Array(this.lengths.length);
    const track = into === undefined;
    const touched: number[] = [];
    let upperBound = 0;
    if (this.liveCount === 0) return { scores, touched, upperBound };
    const { k1, b } = this.parameters;
    const averageLength = this.totalLength / this.liveCount || 1;
    const lengths = this.lengths;
    const currentGenerations = this.generations;
    const mask = accept instanceof Uint8Array ? accept : undefined;
    const acceptFn = typeof accept === 'function' ? accept : undefined;
    const weighted = queryTerms instanceof Map ? queryTerms : countTerms(queryTerms as readonly string[]);
    for (const [term, queryCount] of weighted) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = this.idf(term);
      upperBound += queryCount * idf * (k1 + 1);
      const factor = queryCount * idf * (k1 + 1);
      const { slots, freqs, generations } = list;
      sinceYield += list.length;
      if (sinceYield > 65536) {
        yield;
        sinceYield = 0;
      }
      for (let i = 0; i < list.length; i++) {
        const slot = slots[i] as number;
        if (generations[i] !== currentGenerations[slot]) continue;
        if (mask ? mask[slot] !== 1 : acceptFn && !acceptFn(slot)) continue;
        const tf = freqs[i] as number;
        const weight = (factor * tf) / (tf + k1 * (1 - b + (b * (lengths[slot] as number)) / averageLength));
        if (track && scores[slot] === 0) touched.push(slot);
        scores[slot] = (scores[slot] as number) + weight;
      }
    }
    return { scores, touched, upperBound };
  }

  /** Approximate bytes held (for the memory report). */
  memoryBytes(): number {
    let bytes = this.lengths.byteLength + this.generations.byteLength;
    for (const [term, list] of this.postings) {
      bytes +=
        term.length * 2 + 96 + list.slots.byteLength + list.freqs.byteLength + list.generations.byteLength;
    }
    return bytes;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.lengths.length) return;
    const capacity = Math.max(size, this.lengths.length * 2);
    const lengths = new Int32Array(capacity).fill(-1);
    lengths.set(this.lengths);
    const generations = new Uint32Array(capacity);
    generations.set(this.generations);
    this.lengths = lengths;
    this.generations = generations;
  }
}

function countTerms(terms: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}
