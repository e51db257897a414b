import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Peer engines the bench compares against, installed for the bench only (never a dependency of the
 * extension): `npm run bench:peers:install` puts them in `.bench-peers/` beside package.json.
 */
export const PEERS_FOLDER = '.bench-peers';
export const LANCEDB_VERSION = '0.31.0';
const INSTALL_HINT =
  `LanceDB is not installed for the bench: run \`npm run bench:peers:install\` (installs ` +
  `@lancedb/lancedb@${LANCEDB_VERSION} into ${PEERS_FOLDER}/, not into the extension)`;

/** The parts of @lancedb/lancedb 0.31 and apache-arrow the bench uses (they have no types here). */
interface LanceQuery {
  limit(n: number): LanceQuery;
  select(columns: string[]): LanceQuery;
  nearestTo(vector: Float32Array | number[]): LanceQuery;
  fullTextSearch(text: string): LanceQuery;
  ef(ef: number): LanceQuery;
  distanceType(type: string): LanceQuery;
  rerank(reranker: unknown): LanceQuery;
  toArray(): Promise<{ id: number }[]>;
}
interface LanceTable {
  add(rows: Record<string, unknown>[]): Promise<unknown>;
  createIndex(column: string, options: { config: unknown }): Promise<void>;
  query(): LanceQuery;
  close(): void;
}
interface LanceModule {
  connect(uri: string): Promise<{
    createEmptyTable(name: string, schema: unknown): Promise<LanceTable>;
    close(): void;
  }>;
  Index: {
    hnswSq(options: Record<string, unknown>): unknown;
    fts(options?: Record<string, unknown>): unknown;
  };
  rerankers: { RRFReranker: { create(k?: number): Promise<unknown> } };
}
interface ArrowModule {
  Schema: new (fields: unknown[]) => unknown;
  Field: new (name: string, type: unknown, nullable?: boolean) => unknown;
  Int32: new () => unknown;
  Utf8: new () => unknown;
  Float32: new () => unknown;
  FixedSizeList: new (size: number, child: unknown) => unknown;
}
export interface LanceDbPeer {
  lancedb: LanceModule;
  arrow: ArrowModule;
  version: string;
}

/**
 * LanceDB from `<packageRoot>/.bench-peers` when installed there, else why not. The native module reads
 * LANCE_CPU_THREADS when it loads: without a cap it hangs building a full-text index on ≤ 2 cores
 * (lancedb#3568), so it is set first unless the caller set it.
 */
export function loadLanceDb(packageRoot: string): LanceDbPeer | { skipped: string } {
  const folder = join(packageRoot, PEERS_FOLDER);
  if (!existsSync(join(folder, 'node_modules', '@lancedb', 'lancedb'))) return { skipped: INSTALL_HINT };
  process.env.LANCE_CPU_THREADS ??= '2';
  // Its logger warns on every query that scores are projected although not selected: errors only.
  process.env.LANCEDB_LOG ??= 'error';
  const require = createRequire(join(folder, 'package.json'));
  try {
    // Its package.json is not among its exports: read it as a file.
    const manifest = join(folder, 'node_modules', '@lancedb', 'lancedb', 'package.json');
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    if (version !== LANCEDB_VERSION)
      return {
        skipped: `${PEERS_FOLDER}/ holds LanceDB ${version}, the bench pins ${LANCEDB_VERSION}: ${INSTALL_HINT}`,
      };
    return {
      lancedb: require('@lancedb/lancedb') as LanceModule,
      arrow: require('apache-arrow') as ArrowModule,
      version,
    };
  } catch (error) {
    return { skipped: `LanceDB did not load (${(error as Error).message}): ${INSTALL_HINT}` };
  }
}

export interface LanceDbFigures {
  version: string;
  rows: number;
  ingestMs: number;
  /** Vector index (IVF_HNSW_SQ, cosine) plus full-text index build time. */
  indexMs: number;
  vectorIndex: string | { skipped: string };
  vectorMs: { p50: number; p95: number };
  ftsMs: { p50: number; p95: number };
  /** LanceDB's own hybrid query: vector + full-text, fused by its RRF reranker (k = 60). */
  hybridMs: { p50: number; p95: number };
  /** Of its vector top-10, the share in the exact float32 top-10 for the same query vector. */
  recallAt10: number;
}

/**
 * Measures LanceDB on the given paragraphs and their float vectors (row i of `vectors` is text i), with the
 * given claims and their query vectors, in a temporary folder under `work` removed at the end.
 */
export async function benchLanceDb(
  peer: LanceDbPeer,
  texts: string[],
  vectors: Float32Array,
  dims: number,
  claims: string[],
  queryVectors: Float32Array[],
  work: string,
  percentiles: (values: number[]) => { p50: number; p95: number },
): Promise<LanceDbFigures> {
  const { lancedb, arrow } = peer;
  const folder = await mkdtemp(join(work, 'lancedb-'));
  const db = await lancedb.connect(folder);
  try {
    const schema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int32(), false),
      new arrow.Field('text', new arrow.Utf8(), false),
      new arrow.Field(
        'vector',
        new arrow.FixedSizeList(dims, new arrow.Field('item', new arrow.Float32(), true)),
        false,
      ),
    ]);
    let started = performance.now();
    const table = await db.createEmptyTable('paragraphs', schema);
    const batch = 10_000;
    for (let from = 0; from < texts.length; from += batch) {
      const rows = texts.slice(from, from + batch).map((text, k) => {
        const id = from + k;
        return { id, text, vector: Array.from(vectors.subarray(id * dims, (id + 1) * dims)) };
      });
      await table.add(rows);
    }
    const ingestMs = performance.now() - started;

    started = performance.now();
    let vectorIndex: LanceDbFigures['vectorIndex'];
    try {
      await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine' }) });
      vectorIndex = 'IVF_HNSW_SQ (cosine), queried with ef 100';
    } catch (error) {
      // IVF training needs enough rows per partition: small tables are searched exactly instead.
      vectorIndex = { skipped: `not built at ${texts.length} rows, exact scan: ${(error as Error).message}` };
    }
    await table.createIndex('text', { config: lancedb.Index.fts() });
    const indexMs = performance.now() - started;

    const reranker = await lancedb.rerankers.RRFReranker.create(60);
    const vectorQuery = (q: Float32Array): LanceQuery =>
      table.query().nearestTo(q).distanceType('cosine').ef(100).select(['id']).limit(10);
    const vectorTimes: number[] = [];
    const ftsTimes: number[] = [];
    const hybridTimes: number[] = [];
    let found = 0;
    for (const [i, claim] of claims.entries()) {
      const q = queryVectors[i] as Float32Array;
      let t = performance.now();
      const top = await vectorQuery(q).toArray();
      vectorTimes.push(performance.now() - t);
      const exact = new Set(exactTop10(vectors, dims, q));
      found += top.filter((row) => exact.has(row.id)).length;
      t = performance.now();
      await table.query().fullTextSearch(claim).select(['id']).limit(10).toArray();
      ftsTimes.push(performance.now() - t);
      t = performance.now();
      await vectorQuery(q).fullTextSearch(claim).rerank(reranker).toArray();
      hybridTimes.push(performance.now() - t);
    }
    table.close();
    return {
      version: peer.version,
      rows: texts.length,
      ingestMs: Math.round(ingestMs),
      indexMs: Math.round(indexMs),
      vectorIndex,
      vectorMs: percentiles(vectorTimes),
      ftsMs: percentiles(ftsTimes),
      hybridMs: percentiles(hybridTimes),
      recallAt10: Math.round((found / (10 * claims.length)) * 1000) / 1000,
    };
  } finally {
    db.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The exact top-10 rows by dot product (the vectors are unit length: cosine). */
function exactTop10(vectors: Float32Array, dims: number, q: Float32Array): number[] {
  const rows = vectors.length / dims;
  const scores = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < dims; k++) s += (q[k] as number) * (vectors[r * dims + k] as number);
    scores[r] = s;
  }
  return Array.from(scores.keys())
    .sort((a, b) => (scores[b] as number) - (scores[a] as number))
    .slice(0, 10);
}
