/**
 * Passage vectors keyed by content hash, held compactly in memory: int8 with one float scale per row
 * (symmetric quantisation). A 512-d vector costs 516 bytes instead of 2,048; on the PatentMatch dev set
 * the rankings equal float32's (docs/notes/issue-6.md). A paragraph may own several rows (windows of a
 * long paragraph); its dense score is the best of its rows.
 */

export interface VectorEntry {
  firstRow: number;
  rowCount: number;
}

export class VectorTable {
  private data: Int8Array;
  private scales: Float32Array;
  private rowCapacity: number;
  private rows = 0;
  private readonly entries = new Map<string, VectorEntry>();
  /** Rows owned by removed entries; compacted away when they are a quarter of the table. */
  private deadRows = 0;
  /** Bumped whenever rows move or entries change, so callers can cache entry positions. */
  version = 0;

  constructor(
    readonly dims: number,
    initialRows = 256,
  ) {
    this.rowCapacity = Math.max(1, initialRows);
    this.data = new Int8Array(this.rowCapacity * dims);
    this.scales = new Float32Array(this.rowCapacity);
  }

  get entryCount(): number {
    return this.entries.size;
  }

  get rowCount(): number {
    return this.rows - this.deadRows;
  }

  /** Rows including removed entries' (not yet compacted): the length of `scoreAll`'s result. */
  get rowSpan(): number {
    return this.rows;
  }

  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  get(hash: string): VectorEntry | undefined {
    return this.entries.get(hash);
  }

  hashes(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Stores the (L2-normalised) vectors of one paragraph under its hash; replaces an earlier entry. */
  set(hash: string, vectors: readonly Float32Array[]): void {
    if (this.entries.has(hash)) this.delete(hash);
    this.ensureRows(this.rows + vectors.length);
    const firstRow = this.rows;
    for (const vector of vectors) {
      if (vector.length !== this.dims) {
        throw new Error(`vector has ${vector.length} dimensions, the table ${this.dims}`);
      }
      quantizeInto(vector, this.data, this.rows * this.dims, this.scales, this.rows);
      this.rows++;
    }
    this.entries.set(hash, { firstRow, rowCount: vectors.length });
    this.version++;
  }

  /** Adds rows already quantised (loading a store). */
  setQuantized(hash: string, data: Int8Array, scales: Float32Array): void {
    if (this.entries.has(hash)) this.delete(hash);
    const count = scales.length;
    this.ensureRows(this.rows + count);
    this.data.set(data, this.rows * this.dims);
    this.scales.set(scales, this.rows);
    this.entries.set(hash, { firstRow: this.rows, rowCount: count });
    this.rows += count;
    this.version++;
  }

  delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    this.deadRows += entry.rowCount;
    this.version++;
    if (this.deadRows > 1024 && this.deadRows * 4 > this.rows) this.compact();
  }

  /** The quantised rows of an entry (for writing a store). */
  rowsOf(hash: string): { data: Int8Array; scales: Float32Array } | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    const start = entry.firstRow;
    const end = start + entry.rowCount;
    return {
      data: this.data.subarray(start * this.dims, end * this.dims),
      scales: this.scales.subarray(start, end),
    };
  }

  /**
   * Cosine of `query` (normalised float32) against every row. Returns a Float32Array indexed by row;
   * read an entry's score with `bestOf`. Synchronous: at 100k rows use `scoreAllSliced`.
   */
  scoreAll(query: Float32Array, into?: Float32Array): Float32Array {
    const out = rowBuffer(into, this.rows);
    this.scoreRows(query, out, 0, this.rows);
    return out;
  }

  /**
   * The same as `scoreAll`, in slices of about 2M multiply-adds (a few ms) with a yield to the event
   * loop between them, so a search over a large index never blocks the extension host for long.
   * `into`, when at least `rowSpan` long, is written instead of a new array (a view of
   * it is returned): searches reuse it rather than allocate 400 kB per query at 100k rows.
   */
  async scoreAllSliced(
    query: Float32Array,
    signal?: AbortSignal,
    into?: Float32Array,
  ): Promise<Float32Array> {
    const out = rowBuffer(into, this.rows);
    const rowsPerSlice = Math.max(256, Math.floor(2_000_000 / this.dims));
    for (let start = 0; start < this.rows; start += rowsPerSlice) {
      if (start > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
      this.scoreRows(query, out, start, Math.min(this.rows, start + rowsPerSlice));
    }
    return out;
  }

  private scoreRows(query: Float32Array, out: Float32Array, from: number, to: number): void {
    const dims = this.dims;
    const data = this.data;
    const scales = this.scales;
    const tail = dims - (dims % 4);
    for (let row = from; row < to; row++) {
      const offset = row * dims;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      // Four accumulators: the loop runs ~2x faster than a single sum in V8.
      for (let d = 0; d < tail; d += 4) {
        s0 += (query[d] as number) * (data[offset + d] as number);
        s1 += (query[d + 1] as number) * (data[offset + d + 1] as number);
        s2 += (query[d + 2] as number) * (data[offset + d + 2] as number);
        s3 += (query[d + 3] as number) * (data[offset + d + 3] as number);
      }
      for (let d = tail; d < dims; d++) s0 += (query[d] as number) * (data[offset + d] as number);
      out[row] = (s0 + s1 + s2 + s3) * (scales[row] as number);
    }
  }

  bestOf(scores: Float32Array, hash: string): number | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    let best = -Infinity;
    for (let row = entry.firstRow; row < entry.firstRow + entry.rowCount; row++) {
      best = Math.max(best, scores[row] ?? -Infinity);
    }
    return best;
  }

  /** Cosine of a query against one entry's rows (best row). */
  score(query: Float32Array, hash: string): number | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    let best = -Infinity;
    for (let row = entry.firstRow; row < entry.firstRow + entry.rowCount; row++) {
      let sum = 0;
      const offset = row * this.dims;
      for (let d = 0; d < this.dims; d++) sum += (query[d] ?? 0) * (this.data[offset + d] ?? 0);
      best = Math.max(best, sum * (this.scales[row] ?? 0));
    }
    return best;
  }

  memoryBytes(): number {
    return this.data.byteLength + this.scales.byteLength + this.entries.size * 120;
  }

  private ensureRows(needed: number): void {
    if (needed <= this.rowCapacity) return;
    const capacity = Math.max(needed, Math.ceil(this.rowCapacity * 1.5));
    const data = new Int8Array(capacity * this.dims);
    data.set(this.data.subarray(0, this.rows * this.dims));
    const scales = new Float32Array(capacity);
    scales.set(this.scales.subarray(0, this.rows));
    this.data = data;
    this.scales = scales;
    this.rowCapacity = capacity;
  }

  private compact(): void {
    const data = new Int8Array(Math.max(1, this.rows - this.deadRows) * this.dims);
    const scales = new Float32Array(Math.max(1, this.rows - this.deadRows));
    let row = 0;
    for (const entry of this.entries.values()) {
      data.set(
        this.data.subarray(entry.firstRow * this.dims, (entry.firstRow + entry.rowCount) * this.dims),
        row * this.dims,
      );
      scales.set(this.scales.subarray(entry.firstRow, entry.firstRow + entry.rowCount), row);
      entry.firstRow = row;
      row += entry.rowCount;
    }
    this.data = data;
    this.scales = scales;
    this.rows = row;
    this.rowCapacity = scales.length;
    this.deadRows = 0;
  }
}

/** `into` cut to `rows` entries when it is long enough, else a new array. */
function rowBuffer(into: Float32Array | undefined, rows: number): Float32Array {
  return into && into.length >= rows ? into.subarray(0, rows) : new Float32Array(rows);
}

/** Symmetric int8: q = round(v / s), s = max|v| / 127; cosine error on 512-d unit vectors ≈ 1e-3. */
export function quantizeInto(
  vector: Float32Array,
  data: Int8Array,
  offset: number,
  scales: Float32Array,
  row: number,
): void {
  let max = 0;
  for (const value of vector) max = Math.max(max, Math.abs(value));
  const scale = max > 0 ? max / 127 : 1;
  for (let d = 0; d < vector.length; d++) data[offset + d] = Math.round((vector[d] ?? 0) / scale);
  scales[row] = scale;
}
