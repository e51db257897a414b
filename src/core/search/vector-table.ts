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
  }

  delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    this.deadRows += entry.rowCount;
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
   * Cosine of `query` (normalised float32) against every row, best row per entry. Returns a
   * Float32Array indexed by row; read an entry's score with `bestOf`.
   */
  scoreAll(query: Float32Array): Float32Array {
    const dims = this.dims;
    const out = new Float32Array(this.rows);
    const data = this.data;
    for (let row = 0; row < this.rows; row++) {
      let sum = 0;
      const offset = row * dims;
      for (let d = 0; d < dims; d++) sum += (query[d] ?? 0) * (data[offset + d] ?? 0);
      out[row] = sum * (this.scales[row] ?? 0);
    }
    return out;
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
