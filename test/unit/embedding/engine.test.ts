import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEmbedder, EmbeddingEngineError, type OnnxEmbedder } from '../../../src/core/embedding';
import {
  devTexts,
  makeModelFolder,
  maxAbsDiff,
  norm,
  patentWords,
  tempDir,
  TEST_WORKER,
  TINY_SHAPE,
  writeJson,
  type TestModel,
} from './fixtures';
import { referenceSentenceVector } from './reference-bert';

const MAX_TOKENS = 48; // sentence_bert_config max_seq_length; below the tiny model's 64 positions
let root: Awaited<ReturnType<typeof tempDir>>;
const models: Record<'cls' | 'mean' | 'max', TestModel> = {} as never;
const open: OnnxEmbedder[] = [];

/** Real claims and paragraphs of very different lengths, some beyond MAX_TOKENS, plus edge cases. */
function sampleTexts(): string[] {
  const { paragraphs, claims } = devTexts();
  const byLength = [...paragraphs].sort((a, b) => a.length - b.length);
  return [
    claims[0] as string,
    byLength[0] as string,
    byLength[Math.floor(byLength.length / 2)] as string,
    byLength[byLength.length - 1] as string, // far beyond 48 tokens: truncated
    'A battery.',
    '',
    paragraphs[3] as string,
    claims[5] as string,
  ];
}

/** What the engine must return: [CLS] + the first MAX_TOKENS-2 content tokens + [SEP], pooled and normalised. */
function expected(
  model: TestModel,
  text: string,
  pooling: 'cls' | 'mean' | 'max',
  dims?: number,
): Float64Array {
  const ids = model.encode(text);
  const truncated =
    ids.length > MAX_TOKENS ? [...ids.slice(0, MAX_TOKENS - 1), ids[ids.length - 1] as number] : ids;
  return referenceSentenceVector(model.config, model.weights, truncated, pooling, dims);
}

async function embedder(
  model: TestModel,
  options: Partial<Parameters<typeof createEmbedder>[0]> = {},
): Promise<OnnxEmbedder> {
  const e = await createEmbedder({
    modelDir: model.dir,
    workerPath: TEST_WORKER,
    threads: 1,
    longText: 'truncate',
    ...options,
  });
  open.push(e);
  return e;
}

before(async () => {
  root = await tempDir();
  const words = patentWords(400);
  for (const pooling of ['cls', 'mean', 'max'] as const) {
    models[pooling] = await makeModelFolder(join(root.path, pooling), {
      shape: TINY_SHAPE,
      words,
      pooling,
      seed: 7,
      maxSeqLength: MAX_TOKENS,
    });
  }
});

after(async () => {
  await Promise.all(open.map((e) => e.dispose()));
  await root.remove();
});

describe('vectors match the reference forward pass', () => {
  for (const pooling of ['cls', 'mean', 'max'] as const) {
    test(`${pooling} pooling, one mixed-length batch, truncation, padding: within 1e-5`, async () => {
      const model = models[pooling];
      const e = await embedder(model);
      const texts = sampleTexts();
      const vectors = await e.embed(texts);
      assert.equal(vectors.length, texts.length);
      texts.forEach((text, i) => {
        const v = vectors[i] as Float32Array;
        assert.equal(v.length, TINY_SHAPE.hidden);
        assert.ok(Math.abs(norm(v) - 1) < 1e-5, `vector ${i} is normalised`);
        const diff = maxAbsDiff(v, expected(model, text, pooling));
        assert.ok(diff <= 1e-5, `text ${i} (${text.length} chars): max abs diff ${diff}`);
      });
      // The same texts one at a time (no padding at all) give the same vectors.
      for (const [i, text] of texts.entries()) {
        const [alone] = await e.embed([text], { priority: 'query' });
        assert.ok(
          maxAbsDiff(alone as Float32Array, vectors[i] as Float32Array) <= 1e-5,
          `text ${i} alone vs in a batch`,
        );
      }
      assert.ok(e.stats.tokens < e.stats.paddedTokens || e.stats.runs >= texts.length, 'stats are kept');
    });
  }

  test('Matryoshka dims cut the vector and re-normalise it', async () => {
    const model = models.cls;
    await writeJson(join(model.dir, 'patent-passages.json'), { id: 'tiny-test', matryoshkaDims: [16, 8] });
    try {
      const e = await embedder(model, { dims: 16 });
      assert.equal(e.dims, 16);
      assert.match(e.modelId, /^tiny-test@[0-9a-f]{12}\/16$/);
      const texts = sampleTexts().slice(0, 4);
      const vectors = await e.embed(texts);
      texts.forEach((text, i) => {
        const diff = maxAbsDiff(vectors[i] as Float32Array, expected(model, text, 'cls', 16));
        assert.ok(diff <= 1e-5, `text ${i}: ${diff}`);
      });
      await assert.rejects(
        embedder(model, { dims: 12 }),
        /cannot give 12-dimensional vectors: this model's sizes are 32, 16, 8/,
      );
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(join(model.dir, 'patent-passages.json'));
    }
  });

  test('long texts in windows: each window embedded with its special tokens, then averaged', async () => {
    const model = models.mean;
    // Windows of the mean are the default (measured on the dev set); the mode is part of the model id.
    const e = await embedder(model, { longText: undefined });
    assert.match(e.modelId, /\/window-mean$/);
    // A paragraph of 4 to 12 windows (the longest would exceed the 16-window bound tested below).
    const long = devTexts().paragraphs.find((p) => {
      const n = model.encode(p).length;
      return n > 200 && n < 500;
    }) as string;
    const [vector] = await e.embed([long, 'short text']);
    // Independent restatement of the window rule: windows of 46 content tokens, a quarter overlapping,
    // the last one ending at the text's end.
    const ids = model.encode(long);
    const content = ids.slice(1, -1);
    const room = MAX_TOKENS - 2;
    const stride = room - Math.floor(room / 4);
    const starts: number[] = [];
    for (let s = 0; s + room < content.length; s += stride) starts.push(s);
    starts.push(content.length - room);
    const sum = new Float64Array(TINY_SHAPE.hidden);
    for (const s of starts) {
      const v = referenceSentenceVector(
        model.config,
        model.weights,
        [ids[0] as number, ...content.slice(s, s + room), ids[ids.length - 1] as number],
        'mean',
      );
      v.forEach((x, i) => (sum[i] = (sum[i] as number) + x));
    }
    const n = norm(sum);
    const want = sum.map((x) => x / n);
    assert.ok(starts.length > 2);
    assert.ok(maxAbsDiff(vector as Float32Array, want) <= 1e-5);
  });
});

describe('queue, cache, cancellation and worker lifecycle', () => {
  const many = () => devTexts().paragraphs.slice(0, 120);

  test('a query jumps ahead of queued background work', async () => {
    const e = await embedder(models.cls, { maxBatchRows: 4 });
    const order: string[] = [];
    const background = e.embed(many()).then(() => order.push('background'));
    await new Promise((r) => setTimeout(r, 5));
    const query = e
      .embed(['a query claim about a battery'], { priority: 'query' })
      .then(() => order.push('query'));
    await Promise.all([background, query]);
    assert.deepEqual(order, ['query', 'background']);
  });

  test('the LRU cache answers a repeated query without inference', async () => {
    const e = await embedder(models.cls);
    const claim = devTexts().claims[1] as string;
    const [first] = await e.embed([claim], { priority: 'query' });
    const runs = e.stats.runs;
    const [second] = await e.embed([claim], { priority: 'query' });
    assert.equal(e.stats.runs, runs, 'no new run');
    assert.equal(e.stats.cacheHits, 1);
    assert.deepEqual(second, first);
    assert.notEqual(second, first, 'callers get their own copy');
    // Background texts are not cached (indexing would flush the claims out).
    await e.embed(['a background paragraph']);
    await e.embed(['a background paragraph']);
    assert.equal(e.stats.cacheHits, 1);
    // Duplicates within one call are embedded once.
    const before = e.stats.sequences;
    const vs = await e.embed(['same text', 'same text', 'other text']);
    assert.equal(e.stats.sequences - before, 2);
    assert.deepEqual(vs[0], vs[1]);
  });

  test('aborting drops queued work and rejects with the abort reason', async () => {
    const e = await embedder(models.cls, { maxBatchRows: 2 });
    const controller = new AbortController();
    const texts = many();
    const job = e.embed(texts, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await assert.rejects(job, (error: Error) => error.name === 'AbortError');
    const done = e.stats.sequences;
    assert.ok(done < texts.length, `only ${done} of ${texts.length} texts were run`);
    await assert.rejects(
      e.embed(['x'], { signal: AbortSignal.abort() }),
      (error: Error) => error.name === 'AbortError',
    );
    // The engine keeps working.
    const [v] = await e.embed(['still working']);
    assert.equal(v?.length, TINY_SHAPE.hidden);
  });

  test('a crashed worker rejects the work it held, then restarts for the next call', async () => {
    const e = await embedder(models.cls, { maxBatchRows: 2 });
    const [before] = await e.embed(['a battery cell'], { priority: 'background' });
    const job = e.embed(many());
    await new Promise((r) => setTimeout(r, 20));
    e.crashWorkerForTesting(); // the worker exits with an error code after its current batch, as in a crash
    await assert.rejects(
      job,
      (error: unknown) =>
        error instanceof EmbeddingEngineError &&
        error.reason === 'worker-crashed' &&
        /stopped unexpectedly/.test(error.message),
    );
    assert.equal(e.stats.restarts, 1);
    const [after] = await e.embed(['a battery cell']);
    assert.ok(maxAbsDiff(after as Float32Array, before as Float32Array) <= 1e-6);
    assert.ok(e.isWorkerRunning);
  });

  test('the worker stops when idle and starts again on demand', async () => {
    const e = await embedder(models.cls, { idleTimeoutMs: 100 });
    const [first] = await e.embed(['idle test']);
    assert.ok(e.isWorkerRunning);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(e.isWorkerRunning, false);
    const [again] = await e.embed(['idle test']);
    assert.ok(e.isWorkerRunning);
    assert.ok(maxAbsDiff(again as Float32Array, first as Float32Array) <= 1e-6);
  });

  test('dispose rejects pending work; later calls fail clearly', async () => {
    const e = await embedder(models.cls, { maxBatchRows: 2 });
    const job = assert.rejects(
      e.embed(many()),
      (error: unknown) => error instanceof EmbeddingEngineError && error.reason === 'disposed',
    );
    await new Promise((r) => setTimeout(r, 20));
    await e.dispose();
    await job;
    await assert.rejects(e.embed(['x']), /disposed/);
    assert.equal(e.isWorkerRunning, false);
  });
});

describe('pathological input', () => {
  test('a huge text (a whole file as one paragraph) is bounded: at most 16 windows, quickly', async () => {
    const e = await embedder(models.mean, { longText: 'window-mean' });
    const huge = `${devTexts().paragraphs.join(' ')} `.repeat(20); // ~6 MB of real patent text
    const before = e.stats.sequences;
    const started = Date.now();
    const [v, short] = await e.embed([huge, 'short']);
    assert.equal(e.stats.sequences - before, 16 + 1);
    assert.ok(Math.abs(norm(v as Float32Array) - 1) < 1e-5);
    assert.ok(Math.abs(norm(short as Float32Array) - 1) < 1e-5);
    assert.ok(Date.now() - started < 20_000);
  });
});
