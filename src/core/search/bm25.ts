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
  /** Live entries: the term's document frequency. */
  live: number;

  constructor(
    public slots = new Int32Array(2),
    public freqs = new Uint16Array(2),
    public generations = new Uint32Array(2),
    public length = 0,
  ) {
    this.live = length;
  }

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

  get settings(): Bm25Parameters {
    return this.parameters;
  }

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

  /**
   * The live postings in the cache's binary form (`decodeSteps` reads it back), slots renumbered:
   * `order[k]` is the slot that becomes slot k, and must list every live slot once. A generator that
   * pauses every ~64k postings, so a caller can save 100k paragraphs in slices.
   *
   *   u32 slots S · u32 terms T · u32 postings P · u32 term bytes B     (little-endian, as typed arrays)
   *   i32 length per slot [S] (-1: empty) · u32 postings per term [T] · i32 slot per posting [P]
   *   u16 frequency per posting [P] (padded to 4 bytes) · the terms, UTF-8, joined by '\n' [B]
   */
  *encodeSteps(order: ArrayLike<number>): Generator<void, Uint8Array> {
    if (order.length !== this.liveCount)
      throw new Error('BM25 encode: the slot order must list every live slot');
    const renumbered = new Int32Array(this.lengths.length).fill(-1);
    const lengths = new Int32Array(order.length);
    for (let k = 0; k < order.length; k++) {
      const slot = order[k] as number;
      if (!this.has(slot) || renumbered[slot] !== -1)
        throw new Error(`BM25 encode: slot ${slot} is not live once`);
      renumbered[slot] = k;
      lengths[k] = this.lengths[slot] as number;
    }
    const terms = [...this.postings.keys()];
    let total = 0;
    for (const term of terms) total += (this.postings.get(term) as Postings).live;
    const termBytes = Buffer.from(terms.join('\n'), 'utf8');
    const slotsOffset = 16 + 4 * order.length + 4 * terms.length;
    const freqsOffset = slotsOffset + 4 * total;
    const termsOffset = freqsOffset + align4(2 * total);
    const bytes = new Uint8Array(termsOffset + termBytes.length);
    const head = new Uint32Array(bytes.buffer, 0, 4);
    head.set([order.length, terms.length, total, termBytes.length]);
    new Int32Array(bytes.buffer, 16, order.length).set(lengths);
    const counts = new Uint32Array(bytes.buffer, 16 + 4 * order.length, terms.length);
    const slots = new Int32Array(bytes.buffer, slotsOffset, total);
    const freqs = new Uint16Array(bytes.buffer, freqsOffset, total);
    bytes.set(termBytes, termsOffset);
    let at = 0;
    let sinceYield = 0;
    for (const [t, term] of terms.entries()) {
      const list = this.postings.get(term) as Postings;
      const start = at;
      let ascending = true;
      for (let i = 0; i < list.length; i++) {
        const slot = list.slots[i] as number;
        if (list.generations[i] !== this.generations[slot]) continue;
        slots[at] = renumbered[slot] as number;
        freqs[at] = list.freqs[i] as number;
        if (at > start && (slots[at] as number) < (slots[at - 1] as number)) ascending = false;
        at++;
      }
      // Ascending like a freshly built list (renumbering after removals may reorder): the same layout.
      if (!ascending) sortPostings(slots.subarray(start, at), freqs.subarray(start, at));
      counts[t] = at - start;
      sinceYield += list.length;
      if (sinceYield > 65536) {
        yield;
        sinceYield = 0;
      }
    }
    return bytes;
  }

  /**
   * Reads `encodeSteps`' form back, pausing every ~64k postings. Throws when the bytes are not a
   * consistent index (sizes, slots, frequencies, duplicate terms): the caller rebuilds from texts.
   */
  static *decodeSteps(bytes: Uint8Array, parameters: Bm25Parameters): Generator<void, Bm25Index> {
    const bad = (why: string): never => {
      throw new Error(`stored postings: ${why}`);
    };
    if (bytes.length < 16) bad('too short');
    const head = new DataView(bytes.buffer, bytes.byteOffset, 16);
    const slotCount = head.getUint32(0, true);
    const termCount = head.getUint32(4, true);
    const total = head.getUint32(8, true);
    const termByteCount = head.getUint32(12, true);
    const slotsOffset = 16 + 4 * slotCount + 4 * termCount;
    const freqsOffset = slotsOffset + 4 * total;
    const termsOffset = freqsOffset + align4(2 * total);
    if (termsOffset + termByteCount !== bytes.length) bad('section length');
    // An aligned copy of the arrays, in 4 MB pieces (one 20 MB copy blocked ~15 ms): the typed arrays
    // below, the postings lists included, are views of it.
    const copy = new Uint8Array(termsOffset);
    for (let offset = 0; offset < termsOffset; offset += COPY_PIECE) {
      copy.set(bytes.subarray(offset, Math.min(termsOffset, offset + COPY_PIECE)), offset);
      yield;
    }
    const terms = Buffer.from(bytes.buffer, bytes.byteOffset + termsOffset, termByteCount)
      .toString('utf8')
      .split('\n');
    if (termCount === 0 ? termByteCount !== 0 : terms.length !== termCount) bad('term count');
    yield;
    const index = new Bm25Index(parameters);
    const lengths = new Int32Array(copy.buffer, 16, slotCount);
    index.ensureCapacity(Math.max(64, slotCount as number));
    index.lengths.set(lengths);
    for (let slot = 0; slot < slotCount; slot++) {
      const length = lengths[slot] as number;
      if (length < -1) bad(`slot ${slot} length`);
      if (length >= 0) {
        index.liveCount++;
        index.totalLength += length;
      }
    }
    const counts = new Uint32Array(copy.buffer, 16 + 4 * slotCount, termCount);
    const slots = new Int32Array(copy.buffer, slotsOffset, total);
    const freqs = new Uint16Array(copy.buffer, freqsOffset, total);
    // Zero: every stored posting belongs to its slot's first generation.
    const generations = new Uint32Array(total);
    yield;
    let at = 0;
    let sinceYield = 0;
    for (let t = 0; t < termCount; t++) {
      const count = counts[t] as number;
      if (count === 0 || at + count > total) bad(`term ${t} postings`);
      for (let i = at; i < at + count; i++) {
        const slot = slots[i] as number;
        if (!(slot >= 0 && slot < slotCount) || (lengths[slot] as number) < 0) bad(`posting ${i} slot`);
        if (freqs[i] === 0) bad(`posting ${i} frequency`);
      }
      const term = terms[t] as string;
      if (index.postings.has(term)) bad(`term ${t} twice`);
      const end = at + count;
      index.postings.set(
        term,
        new Postings(slots.subarray(at, end), freqs.subarray(at, end), generations.subarray(at, end), count),
      );
      at = end;
      sinceYield += count + 16;
      if (sinceYield > 65536) {
        yield;
        sinceYield = 0;
      }
    }
    if (at !== total) bad('postings left over');
    return index;
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

/** Bytes copied between pauses when decoding. */
const COPY_PIECE = 4 << 20;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Sorts one term's postings by slot: each pair packed into one exact double (slot · 2^16 + freq). */
function sortPostings(slots: Int32Array, freqs: Uint16Array): void {
  const keys = new Float64Array(slots.length);
  for (let i = 0; i < slots.length; i++) keys[i] = (slots[i] as number) * 65536 + (freqs[i] as number);
  keys.sort();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as number;
    slots[i] = Math.floor(key / 65536);
    freqs[i] = key % 65536;
  }
}

function countTerms(terms: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}
