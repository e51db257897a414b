import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import MiniSearch from 'minisearch';
import { parseDocument } from '../../core/documents';
import type { OnnxEmbedder } from '../../core/embedding';
import { lexicalSectionFor, PassageIndex } from '../../core/index/passage-index';
import { DirectorySource, type DocumentSource } from '../../core/index/source';
import { saveStore, type StoredDocument, type StoredParagraph } from '../../core/index/store';
import { silentLogger } from '../../core/logger';
import { Analyzer } from '../../core/search/analyzer';
import { Bm25Index } from '../../core/search/bm25';
import { DEFAULT_FUSION, type FusionOptions } from '../../core/search/fusion';
import { buildRetrievalTask } from '../../core/search/metrics';
import { VectorTable } from '../../core/search/vector-table';
import { CliError, type CliCommand, type CliIo } from '../command';
import { benchLanceDb, loadLanceDb, type LanceDbFigures, type LanceDbPeer } from './bench-peers';
import { bundledPaths, longTextMode, openEmbedder, parseArgs, positiveInt, type CliPaths } from './index';

const usage = `Usage: patent-passages bench [options]

Measures the passage index with the real model on this machine and prints the figures:
  - indexing throughput (paragraphs/s) of 'index' on 1,000 real paragraphs written as documents, beside
    the bare embedder's throughput on the same texts (same run), and the longest event-loop stall;
  - at each size (default 1k, 10k, 100k paragraphs): cache size, save and load time, memory, query
    latency p50/p95 for an uncached claim (embedded now) and a cached one (hybrid always mixes in the
    dense side at weight 0.2, with document evidence as by default; interleaved with it the same searches
    without document evidence (the search before issue 11) and with feedback on too, and the ratios),
    lexical-only latency (what the default search costs with a model whose folder gives the dense side
    weight 0, like the bundled one), the
    longest event-loop stall during load and search (and per search phase), with the garbage-collection
    pauses seen during the searches (count, count over 20 ms, longest); int8 vs float32 vector scan and our BM25 vs
    MiniSearch as baselines; and how load and search time grow with size;
  - peers.lancedb per size: LanceDB's ingest, index build, vector / full-text / built-in hybrid (RRF) query
    latency and vector recall@10 on the same texts, vectors and claims, when installed for the bench with
    'npm run bench:peers:install' (else 'skipped').
Paragraphs are real (USPTO/EPO XML and PatentMatch paragraphs from --data) reused with variations;
above the indexing run, vectors are the real vectors of the base paragraphs with small random
perturbations (embedding 100k texts would take an hour on 2 cores).

Options:
  --data DIR        the shared data folder (default ../shared/data)
  --sizes LIST      comma-separated paragraph counts (default 1000,10000,100000)
  --queries N       claims per latency measurement (default 30)
  --model DIR       model folder (default: the bundled models/use-lite-en)
  --long-text MODE  window-mean (default) | truncate | window-max
  --json            print JSON
`;

interface SizeFigures {
  paragraphs: number;
  storeMB: number;
  saveMs: number;
  loadMs: number;
  loadMaxStallMs: number;
  memoryMB: { heapAndBuffers: number; vectors: number; lexical: number };
  hybridUncachedMs: { p50: number; p95: number };
  /** Hybrid (dense weight 0.2) as searched by default (document evidence), the claim's vector cached. */
  hybridCachedMs: { p50: number; p95: number };
  /** The same searches without document evidence or feedback (the search before issue 11), interleaved. */
  hybridCachedClaimOnlyMs: { p50: number; p95: number };
  /** The same searches with feedback (RM3) turned on as well (off by default), interleaved. */
  hybridCachedWithFeedbackMs: { p50: number; p95: number };
  /** hybridCachedMs (and …WithFeedbackMs) ÷ hybridCachedClaimOnlyMs: what the lexical steps cost. */
  feedbackAndDocumentsCost: {
    p50Ratio: number;
    p95Ratio: number;
    withFeedbackP50Ratio: number;
    withFeedbackP95Ratio: number;
  };
  hybridCachedStagesP50Ms: Record<string, number>;
  lexicalMs: { p50: number; p95: number };
  searchMaxStallMs: number;
  /** The longest stall per phase of the 60 searches: uncached hybrid, cached hybrid, lexical. */
  searchMaxStallByPhaseMs: { uncached: number; cached: number; lexical: number };
  /** Garbage-collection pauses seen during the same searches: how many, how many over 20 ms, longest. */
  searchGc: { pauses: number; over20Ms: number; longestMs: number; longestKind: string };
  /** The same measurement on an idle event loop: stalls up to this size are the machine, not us. */
  idleMaxStallMs: number;
  baseline: {
    float32ScanMs: number;
    int8ScanMs: number;
    miniSearch?: MiniSearchFigures;
    ourBm25: Bm25Figures;
  };
  peers: { lancedb: LanceDbFigures | { skipped: string } | { failed: string } };
}

interface Bm25Figures {
  indexMs: number;
  queryP50Ms: number;
  memoryMB?: number;
}
type MiniSearchFigures = Bm25Figures;

export function createBenchCommand(paths: CliPaths): CliCommand {
  return {
    name: 'bench',
    summary: 'measure indexing speed, query latency and memory at 1k/10k/100k paragraphs',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, flags } = parseArgs(args, {
        values: ['--data', '--sizes', '--queries', '--model', '--long-text'],
        flags: ['--json'],
      });
      const data = resolve(values.get('--data') ?? join(paths.packageRoot, '..', 'shared', 'data'));
      const sizes = (values.get('--sizes') ?? '1000,10000,100000')
        .split(',')
        .map((s) => positiveInt('--sizes', s, 1000));
      const queryCount = positiveInt('--queries', values.get('--queries'), 30);
      const base = await loadBase(data);
      const log = (line: string): void => (flags.has('--json') ? undefined : io.stderr(`${line}\n`));
      log(`${base.paragraphs.length} real base paragraphs, ${base.claims.length} claims from ${data}`);

      const embedder = await openEmbedder(paths, {
        model: values.get('--model'),
        longText: longTextMode(values.get('--long-text')),
      });
      const lance = loadLanceDb(paths.packageRoot);
      if ('skipped' in lance) log(`peers.lancedb skipped: ${lance.skipped}`);
      const work = await mkdtemp(join(tmpdir(), 'pp-bench-'));
      try {
        const indexing = await benchIndexing(embedder, base.paragraphs, work, log);
        log(`embedding the ${base.paragraphs.length} base paragraphs for the synthetic sizes`);
        const baseVectors = await embedder.embed(base.paragraphs, {
          kind: 'passage',
          priority: 'background',
        });
        const figures: SizeFigures[] = [];
        for (const size of sizes) {
          log(`size ${size}`);
          const sizeFigures = await benchSize(size, base, baseVectors, embedder, work, queryCount, lance);
          figures.push(sizeFigures);
          if (!flags.has('--json')) {
            io.stderr(`${JSON.stringify(sizeFigures)}\n`);
            io.stderr(`${size}: ${versusLanceDb(sizeFigures)}\n`);
          }
        }
        const growth = figures.slice(1).map((f, i) => {
          const previous = figures[i] as SizeFigures;
          return {
            from: previous.paragraphs,
            to: f.paragraphs,
            sizeRatio: f.paragraphs / previous.paragraphs,
            loadRatio: round(f.loadMs / previous.loadMs),
            hybridCachedP50Ratio: round(f.hybridCachedMs.p50 / previous.hybridCachedMs.p50),
            lexicalP50Ratio: round(f.lexicalMs.p50 / previous.lexicalMs.p50),
          };
        });
        const output = {
          model: embedder.modelId,
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
          indexing,
          sizes: figures,
          growth,
          note: 'Other processes were running on the same machine; compare figures within one run.',
        };
        io.stdout(`${JSON.stringify(output, null, flags.has('--json') ? undefined : 1)}\n`);
        return 0;
      } finally {
        await embedder.dispose();
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}

export const benchCommand = createBenchCommand(bundledPaths);

/** The hybrid the bench measures: the dense side always scanned (the global default weight). */
const BENCH_HYBRID: FusionOptions = DEFAULT_FUSION;

/** Real paragraphs (XML documents + PatentMatch paragraphs) and real claims (PatentMatch). */
async function loadBase(data: string): Promise<{ paragraphs: string[]; claims: string[] }> {
  const paragraphs = new Set<string>();
  for (const folder of ['uspto', 'ep']) {
    let files: string[];
    try {
      files = (await readdir(join(data, folder))).filter((f) => f.endsWith('.xml'));
    } catch {
      throw new CliError(`cannot read ${join(data, folder)}: give the shared data folder with --data`);
    }
    for (const file of files) {
      const path = join(data, folder, file);
      const document = await parseDocument(await readFile(path), path);
      for (const p of document.paragraphs) if (p.matchText.length > 40) paragraphs.add(p.matchText);
    }
  }
  const task = buildRetrievalTask(await readFile(join(data, 'patentmatch', 'dev.jsonl'), 'utf8'));
  for (const p of task.passages) paragraphs.add(p);
  return { paragraphs: [...paragraphs], claims: task.queries.map((q) => q.text) };
}

/** A variation of a real paragraph: its sentences rotated and a marker word, so texts (and hashes) differ. */
function variant(text: string, n: number): string {
  if (n === 0) return text;
  const sentences = text.split(/(?<=\.)\s+/);
  const k = n % Math.max(1, sentences.length);
  return `${[...sentences.slice(k), ...sentences.slice(0, k)].join(' ')} Variant ${n.toString(36)}.`;
}

/** Indexing through the real pipeline: documents on disk, parser, index, embedder, store. */
async function benchIndexing(
  embedder: OnnxEmbedder,
  paragraphs: string[],
  work: string,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const folder = join(work, 'docs');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(folder);
  const count = 1000;
  const texts = Array.from({ length: count }, (_, i) =>
    variant(paragraphs[i % paragraphs.length] as string, Math.floor(i / paragraphs.length)),
  );
  for (let d = 0; d < count / 50; d++) {
    const body = texts.slice(d * 50, d * 50 + 50).map((t, i) => `[${String(i + 1).padStart(4, '0')}] ${t}`);
    await writeFile(join(folder, `doc-${d}.txt`), `Synthetic document ${d}\n\n${body.join('\n\n')}\n`);
  }
  const index = new PassageIndex({
    source: new DirectorySource(folder),
    embedder,
    parse: (bytes, uri) => parseDocument(bytes, uri),
    logger: silentLogger,
    storePath: join(work, 'indexing.ppidx'),
  });
  log(`indexing ${count} paragraphs in ${count / 50} documents`);
  const stall = stallMonitor();
  let started = performance.now();
  const result = await index.update('full');
  const indexSeconds = (performance.now() - started) / 1000;
  const maxStallMs = stall.stop();
  const paragraphsIndexed = index.status().paragraphs;
  await index.dispose();

  log('the bare embedder on the same texts');
  const bareStall = stallMonitor();
  started = performance.now();
  await embedder.embed(texts, { kind: 'passage', priority: 'background' });
  const rawSeconds = (performance.now() - started) / 1000;
  const bareMaxStallMs = bareStall.stop();
  return {
    paragraphs: paragraphsIndexed,
    embedded: result.paragraphsEmbedded,
    seconds: round(indexSeconds),
    paragraphsPerSecond: round(paragraphsIndexed / indexSeconds),
    bareEmbedderParagraphsPerSecond: round(texts.length / rawSeconds),
    maxEventLoopStallMs: round(maxStallMs),
    /** The same while only the bare embedder runs: inference threads competing for the cores. */
    bareEmbedderMaxEventLoopStallMs: round(bareMaxStallMs),
  };
}

async function benchSize(
  size: number,
  base: { paragraphs: string[]; claims: string[] },
  baseVectors: Float32Array[],
  embedder: OnnxEmbedder,
  work: string,
  queryCount: number,
  lance: LanceDbPeer | { skipped: string },
): Promise<SizeFigures> {
  const dims = embedder.dims;
  // Built and saved in a helper so its large arrays are garbage before the load is measured.
  const { texts, storePath, storeBytes, saveMs } = await writeSyntheticStore(
    size,
    base,
    baseVectors,
    embedder,
    work,
  );

  // The machine's own noise: the longest stall of an idle event loop for one second, same run.
  let stall = stallMonitor();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleMaxStallMs = stall.stop();
  collectGarbage();
  const memoryBefore = memoryNow();
  const emptySource: DocumentSource = {
    list: async () => [],
    stat: async () => undefined,
    read: async () => new Uint8Array(),
  };
  const index = new PassageIndex({
    source: emptySource,
    embedder,
    parse: (b, u) => parseDocument(b, u),
    logger: silentLogger,
    storePath,
    // Hybrid here always scans the vectors, whatever weight the model folder gives the dense side.
    fusion: BENCH_HYBRID,
  });
  stall = stallMonitor();
  const started = performance.now();
  await index.load();
  const loadMs = performance.now() - started;
  const loadMaxStallMs = stall.stop();
  collectGarbage();
  const memoryAfter = memoryNow();

  // Claims not seen before by the embedder's cache: a slice of the claims per size.
  const offset = (sizeOffset += queryCount) % Math.max(1, base.claims.length - queryCount);
  const claims = base.claims.slice(offset, offset + queryCount);
  stall = stallMonitor();
  const gc = gcMonitor();
  let phase = stallMonitor();
  const uncached: number[] = [];
  for (const claim of claims)
    uncached.push(await timed(() => index.search({ text: claim, mode: 'hybrid', topK: 10 })));
  const uncachedMaxStallMs = phase.stop();
  phase = stallMonitor();
  const cached: number[] = [];
  const claimOnly: number[] = [];
  const withFeedback: number[] = [];
  const stages: Record<string, number[]> = {};
  for (const [i, claim] of claims.entries()) {
    // Interleaved, alternating which goes first, so drift on a busy machine hits both alike.
    const plain = (): Promise<number> =>
      timed(() =>
        index.search({ text: claim, mode: 'hybrid', topK: 10, feedback: false, documentEvidence: false }),
      );
    if (i % 2 === 1) claimOnly.push(await plain());
    const t = performance.now();
    const response = await index.search({ text: claim, mode: 'hybrid', topK: 10 });
    cached.push(performance.now() - t);
    for (const [stage, ms] of Object.entries(response.timings)) (stages[stage] ??= []).push(ms);
    if (i % 2 === 0) claimOnly.push(await plain());
    withFeedback.push(
      await timed(() => index.search({ text: claim, mode: 'hybrid', topK: 10, feedback: true })),
    );
  }
  const cachedMaxStallMs = phase.stop();
  phase = stallMonitor();
  const lexical: number[] = [];
  for (const claim of claims)
    lexical.push(await timed(() => index.search({ text: claim, mode: 'lexical', topK: 10 })));
  const lexicalMaxStallMs = phase.stop();
  const searchMaxStallMs = stall.stop();
  const searchGc = await gc.stop();

  // Baselines in the same run: a float32 scan vs our int8 scan; MiniSearch vs our BM25 (MiniSearch up to
  // 10k only: indexing 100k with it takes minutes here).
  const [queryVector] = await embedder.embed([claims[0] as string], { kind: 'query', priority: 'query' });
  const q = queryVector as Float32Array;
  const float32 = new Float32Array(size * dims);
  for (let i = 0; i < size; i++) float32.set(syntheticVector(baseVectors, i), i * dims);
  const float32ScanMs = median(
    Array.from({ length: 5 }, () => {
      const t = performance.now();
      const out = new Float32Array(size);
      for (let r = 0; r < size; r++) {
        let s = 0;
        for (let k = 0; k < dims; k++) s += (q[k] as number) * (float32[r * dims + k] as number);
        out[r] = s;
      }
      return performance.now() - t;
    }),
  );
  const table = (index as unknown as { corpus: { vectors: VectorTable } }).corpus.vectors;
  const int8ScanMs = median(
    Array.from({ length: 5 }, () => {
      const t = performance.now();
      table.scoreAll(q);
      return performance.now() - t;
    }),
  );
  const ourBm25 = benchOurBm25(texts, claims);
  const miniSearch = size <= 10_000 ? benchMiniSearch(texts, claims) : undefined;
  const lexicalIndex = (index as unknown as { corpus: { lexical: Bm25Index } }).corpus.lexical;
  const figures: Omit<SizeFigures, 'peers'> = {
    paragraphs: index.status().paragraphs,
    storeMB: round(storeBytes / 1048576),
    saveMs: round(saveMs),
    loadMs: round(loadMs),
    loadMaxStallMs: round(loadMaxStallMs),
    memoryMB: {
      heapAndBuffers: round((memoryAfter - memoryBefore) / 1048576),
      vectors: round(table.memoryBytes() / 1048576),
      lexical: round(lexicalIndex.memoryBytes() / 1048576),
    },
    hybridUncachedMs: percentiles(uncached),
    hybridCachedMs: percentiles(cached),
    hybridCachedClaimOnlyMs: percentiles(claimOnly),
    hybridCachedWithFeedbackMs: percentiles(withFeedback),
    feedbackAndDocumentsCost: {
      p50Ratio: round(median(cached) / median(claimOnly)),
      p95Ratio: round(percentiles(cached).p95 / percentiles(claimOnly).p95),
      withFeedbackP50Ratio: round(median(withFeedback) / median(claimOnly)),
      withFeedbackP95Ratio: round(percentiles(withFeedback).p95 / percentiles(claimOnly).p95),
    },
    hybridCachedStagesP50Ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])),
    lexicalMs: percentiles(lexical),
    searchMaxStallMs: round(searchMaxStallMs),
    searchMaxStallByPhaseMs: {
      uncached: round(uncachedMaxStallMs),
      cached: round(cachedMaxStallMs),
      lexical: round(lexicalMaxStallMs),
    },
    searchGc,
    idleMaxStallMs: round(idleMaxStallMs),
    baseline: {
      float32ScanMs: round(float32ScanMs),
      int8ScanMs: round(int8ScanMs),
      ourBm25,
      ...(miniSearch ? { miniSearch } : {}),
    },
  };
  await index.dispose();
  let lancedb: SizeFigures['peers']['lancedb'];
  if ('skipped' in lance) lancedb = lance;
  else {
    // After our figures, so they are taken as before; the same texts, float vectors and claims.
    const queryVectors = await embedder.embed(claims, { kind: 'query', priority: 'query' });
    try {
      lancedb = await benchLanceDb(lance, texts, float32, dims, claims, queryVectors, work, percentiles);
    } catch (error) {
      lancedb = { failed: (error as Error).message };
    }
  }
  return { ...figures, peers: { lancedb } };
}

/** Our cached-claim hybrid p95 beside LanceDB's built-in hybrid p95 (issue 14's comparison). */
function versusLanceDb(f: SizeFigures): string {
  const peer = f.peers.lancedb;
  const theirs =
    'hybridMs' in peer
      ? `${peer.hybridMs.p95} ms (recall@10 ${peer.recallAt10})`
      : 'skipped' in peer
        ? `skipped (${peer.skipped})`
        : `failed (${peer.failed})`;
  return `hybridCachedMs.p95 ${f.hybridCachedMs.p95} ms; peers.lancedb.hybridMs.p95 ${theirs}`;
}
let sizeOffset = 0;

/** The deterministic noise added to base vector `b` for synthetic paragraph `i`, dimension `k`: ±0.01. */
function noise(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return (x - Math.floor(x) - 0.5) * 0.02;
}

/** Synthetic paragraph `i`'s vector: the base paragraph's real vector, perturbed, renormalised. */
function syntheticVector(baseVectors: Float32Array[], i: number): Float32Array {
  const base = baseVectors[i % baseVectors.length] as Float32Array;
  const vector = Float32Array.from(base, (x, k) => x + noise(i, k));
  const norm = Math.hypot(...vector);
  for (let k = 0; k < vector.length; k++) vector[k] = (vector[k] as number) / norm;
  return vector;
}

async function writeSyntheticStore(
  size: number,
  base: { paragraphs: string[]; claims: string[] },
  baseVectors: Float32Array[],
  embedder: OnnxEmbedder,
  work: string,
): Promise<{ texts: string[]; storePath: string; storeBytes: number; saveMs: number }> {
  const dims = embedder.dims;
  const vectors = new VectorTable(dims, size);
  const documents: StoredDocument[] = [];
  const texts: string[] = [];
  for (let d = 0; d * 50 < size; d++) {
    const paragraphs: StoredParagraph[] = [];
    for (let p = 0; p < 50 && d * 50 + p < size; p++) {
      const i = d * 50 + p;
      const b = i % base.paragraphs.length;
      const text = variant(base.paragraphs[b] as string, Math.floor(i / base.paragraphs.length));
      texts.push(text);
      const hash = i.toString(16).padStart(32, '0');
      vectors.set(hash, [syntheticVector(baseVectors, i)]);
      const range = {
        start: { line: 2 * p, character: 0 },
        end: { line: 2 * p, character: text.length },
        startOffset: 0,
        endOffset: text.length,
      };
      paragraphs.push({ id: `p${p + 1}`, number: String(p + 1).padStart(4, '0'), text, range, hash });
    }
    documents.push({
      uri: join(work, `size-${size}`, `doc-${d}.txt`),
      size: 1,
      mtimeMs: 1,
      format: 'text',
      label: `doc-${d}.txt`,
      paragraphs,
    });
  }
  const storePath = join(work, `size-${size}.ppidx`);
  // The postings an index would save with these documents (built before the save is timed).
  const lexical = await lexicalSectionFor(documents);
  const started = performance.now();
  await saveStore(storePath, {
    identity: { modelId: embedder.modelId, dims, recipe: 'whole' },
    documents,
    vectors,
    lexical,
  });
  const saveMs = performance.now() - started;
  return { texts, storePath, storeBytes: (await stat(storePath)).size, saveMs };
}

function benchOurBm25(texts: string[], claims: string[]): Bm25Figures {
  const analyzer = new Analyzer();
  collectGarbage();
  const before = memoryNow();
  const started = performance.now();
  const index = new Bm25Index();
  texts.forEach((t, i) => index.add(i, analyzer.terms(t)));
  const indexMs = performance.now() - started;
  collectGarbage();
  const memoryMB = round((memoryNow() - before) / 1048576);
  const times = claims.map((c) => {
    const t = performance.now();
    index
      .search(analyzer.terms(c))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    return performance.now() - t;
  });
  return { indexMs: round(indexMs), queryP50Ms: round(median(times)), memoryMB };
}

function benchMiniSearch(texts: string[], claims: string[]): MiniSearchFigures {
  const analyzer = new Analyzer();
  collectGarbage();
  const before = memoryNow();
  const started = performance.now();
  const search = new MiniSearch<{ id: number; text: string }>({
    fields: ['text'],
    tokenize: (text) => analyzer.terms(text),
    processTerm: (term) => term,
    searchOptions: { bm25: { k: 1.2, b: 0.75, d: 0 } },
  });
  search.addAll(texts.map((text, id) => ({ id, text })));
  const indexMs = performance.now() - started;
  collectGarbage();
  const memoryMB = round((memoryNow() - before) / 1048576);
  const times = claims.map((c) => {
    const t = performance.now();
    search.search(c).slice(0, 10);
    return performance.now() - t;
  });
  return { indexMs: round(indexMs), queryP50Ms: round(median(times)), memoryMB };
}

/** The longest gap between 2 ms timer ticks: how long the event loop was blocked at most. */
function stallMonitor(): { stop: () => number } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 2);
    last = now;
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(0, worst, performance.now() - last - 2);
    },
  };
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Garbage-collection pauses of the main thread while it runs (PerformanceObserver 'gc' entries). */
function gcMonitor(): {
  stop: () => Promise<{ pauses: number; over20Ms: number; longestMs: number; longestKind: string }>;
} {
  const durations: { ms: number; kind: string }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: unknown }).detail as { kind?: number } | null | undefined;
      const kind = detail?.kind ?? -1;
      durations.push({ ms: entry.duration, kind: GC_KINDS[kind] ?? String(kind) });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      // Entries are delivered asynchronously: let the last ones arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      const longest = durations.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, kind: 'none' });
      return {
        pauses: durations.length,
        over20Ms: durations.filter((d) => d.ms > 20).length,
        longestMs: round(longest.ms),
        longestKind: longest.kind,
      };
    },
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function percentiles(values: number[]): { p50: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { p50: round(at(0.5)), p95: round(at(0.95)) };
}

function median(values: number[]): number {
  return percentiles(values).p50;
}

function memoryNow(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
