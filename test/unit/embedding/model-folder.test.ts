import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createEmbedder,
  loadModelFolder,
  ModelFolderError,
  type ModelFolderProblem,
} from '../../../src/core/embedding';
import { SentenceModel } from '../../../src/core/embedding/sentence-model';
import { GraphBuilder, TensorType, attr } from '../../../src/modelbuild/onnx';
import { buildVocab, seededRandom, wordPieceTokenizerJson } from '../../../src/modelbuild/synthetic';
import {
  makeModelFolder,
  maxAbsDiff,
  patentWords,
  tempDir,
  TEST_WORKER,
  TINY_SHAPE,
  writeJson,
  type TestModel,
} from './fixtures';

let root: Awaited<ReturnType<typeof tempDir>>;
let good: TestModel;
let copies = 0;

/** A fresh copy of the good folder to break. */
async function copy(): Promise<string> {
  const dir = join(root.path, `copy-${copies++}`);
  await cp(good.dir, dir, { recursive: true });
  return dir;
}

async function expectProblem(
  dir: string,
  problem: ModelFolderProblem,
  file: string | undefined,
  message: RegExp,
): Promise<void> {
  const load = async () => {
    const spec = await loadModelFolder(dir);
    const model = await SentenceModel.load(spec, { threads: 1 });
    await model.release();
  };
  await assert.rejects(load(), (error: unknown) => {
    assert.ok(error instanceof ModelFolderError, `a ModelFolderError, got ${String(error)}`);
    assert.equal(error.problem, problem);
    assert.equal(error.file, file);
    assert.ok(error.message.startsWith(`model folder ${dir}`), error.message);
    assert.match(error.message, message);
    return true;
  });
}

before(async () => {
  root = await tempDir();
  good = await makeModelFolder(join(root.path, 'good'), {
    shape: TINY_SHAPE,
    words: patentWords(200),
    seed: 3,
  });
});
after(() => root.remove());

describe('model folder validation', () => {
  test('a good folder in the sentence-transformers layout loads, with what its files say', async () => {
    const spec = await loadModelFolder(good.dir);
    assert.equal(spec.id, 'good');
    assert.deepEqual(spec.graph, { kind: 'token-embeddings', pooling: 'cls' });
    assert.equal(spec.dims, 32);
    assert.equal(spec.maxTokens, 64);
    assert.equal(spec.tokenizer.kind, 'tokenizer.json');
    assert.match(spec.fingerprint, /^[0-9a-f]{12}$/);
  });

  test('onnx/model.onnx is found as optimum exports it', async () => {
    const dir = await copy();
    await mkdir(join(dir, 'onnx'));
    await cp(join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx'));
    await rm(join(dir, 'model.onnx'));
    const spec = await loadModelFolder(dir);
    assert.equal(spec.onnxPath, join(dir, 'onnx', 'model.onnx'));
  });

  test('a folder named bge-base-patentmatch gets its Matryoshka sizes and hub id', async () => {
    const dir = join(root.path, 'bge-base-patentmatch');
    await cp(good.dir, dir, { recursive: true });
    // Only the JSON files are read here: give them bge-base's shape.
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeJson(join(dir, 'config.json'), { ...config, hidden_size: 768, max_position_embeddings: 512 });
    await writeJson(join(dir, 'sentence_bert_config.json'), { max_seq_length: 512, do_lower_case: false });
    await writeJson(join(dir, 'tokenizer_config.json'), { do_lower_case: true, model_max_length: 512 });
    const spec = await loadModelFolder(dir);
    assert.equal(spec.id, 'bhlim/bge-base-patentmatch');
    assert.deepEqual(spec.matryoshkaDims, [768, 512, 256, 128, 64]);
    assert.equal(spec.dims, 768);
    assert.equal(spec.maxTokens, 512);
    assert.deepEqual(spec.graph, { kind: 'token-embeddings', pooling: 'cls' });
    // Never measured here (it cannot be downloaded): the global default applies until its manifest says.
    assert.equal(spec.hybridDenseWeight, undefined);
  });

  test('the folder does not exist', () =>
    expectProblem(join(root.path, 'nope'), 'not-found', undefined, /no such folder/));

  for (const file of ['tokenizer.json', 'config.json', '1_Pooling/config.json']) {
    test(`missing ${file}`, async () => {
      const dir = await copy();
      await rm(join(dir, file));
      await expectProblem(dir, 'missing-file', file, /file not found/);
    });
  }

  test('missing model.onnx', async () => {
    const dir = await copy();
    await rm(join(dir, 'model.onnx'));
    await expectProblem(
      dir,
      'missing-file',
      undefined,
      /no ONNX model: looked for model.onnx and onnx\/model.onnx/,
    );
  });

  for (const file of [
    'config.json',
    'modules.json',
    'sentence_bert_config.json',
    '1_Pooling/config.json',
    'patent-passages.json',
  ]) {
    test(`malformed ${file}`, async () => {
      const dir = await copy();
      await writeFile(join(dir, file), '{ "hidden_size": 32,');
      await expectProblem(dir, 'malformed', file, /not valid JSON/);
    });
  }

  test('a tokenizer.json that is not a tokenizer', async () => {
    const dir = await copy();
    await writeJson(join(dir, 'tokenizer.json'), { model: { type: 'NoSuchModel' } });
    await expectProblem(dir, 'malformed', 'tokenizer.json', /not a usable tokenizer|fails on plain text/);
  });

  test('model.onnx that is not an ONNX model', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'model.onnx'), 'this is not protobuf');
    await expectProblem(dir, 'malformed', 'model.onnx', /onnxruntime cannot load it/);
  });

  test('wrong values: a pooling config with no mode, a bad max_seq_length, contradicting dims', async () => {
    let dir = await copy();
    await writeJson(join(dir, '1_Pooling', 'config.json'), { word_embedding_dimension: 32 });
    await expectProblem(dir, 'invalid', '1_Pooling/config.json', /no pooling mode/);
    dir = await copy();
    await writeJson(join(dir, 'sentence_bert_config.json'), { max_seq_length: -3 });
    await expectProblem(
      dir,
      'invalid',
      'sentence_bert_config.json',
      /"max_seq_length" must be a positive whole number/,
    );
    dir = await copy();
    await writeJson(join(dir, 'patent-passages.json'), { dims: 64 });
    await expectProblem(
      dir,
      'invalid',
      'patent-passages.json',
      /"dims" is 64 but config.json says hidden_size 32/,
    );
    dir = await copy();
    await writeJson(join(dir, 'config.json'), {
      ...JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')),
      hidden_size: 48,
    });
    await expectProblem(
      dir,
      'graph-mismatch',
      'model.onnx',
      /has 32 values per text, but the folder says 48/,
    );
  });

  test('unsupported: a Dense module, an unknown tokenizer kind', async () => {
    let dir = await copy();
    const modules = JSON.parse(await readFile(join(dir, 'modules.json'), 'utf8')) as unknown[];
    await writeJson(join(dir, 'modules.json'), [
      ...modules,
      { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' },
    ]);
    await expectProblem(
      dir,
      'unsupported',
      'modules.json',
      /module "sentence_transformers.models.Dense" is not supported/,
    );
    dir = await copy();
    await writeJson(join(dir, 'patent-passages.json'), { tokenizer: { kind: 'klingon' } });
    await expectProblem(dir, 'unsupported', 'patent-passages.json', /tokenizer kind "klingon" is unknown/);
  });

  test('a graph whose inputs or outputs do not match', async () => {
    // A graph that wants an input the engine cannot give.
    let dir = await copy();
    const g = new GraphBuilder('wrong-inputs');
    g.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
    g.input('attention_mask', TensorType.Int64, ['batch', 'sequence']);
    const pixels = g.input('pixel_values', TensorType.Float, ['batch', 3]);
    g.node1('Identity', [pixels], {}, 'last_hidden_state');
    g.output('last_hidden_state', TensorType.Float, ['batch', 3]);
    await writeFile(join(dir, 'model.onnx'), g.toBytes({ opset: 17 }));
    await expectProblem(dir, 'graph-mismatch', 'model.onnx', /inputs the engine cannot give: pixel_values/);

    // A graph with no attention_mask, and one with the wrong output.
    dir = await copy();
    const h = new GraphBuilder('no-mask');
    const ids = h.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
    h.node1('Cast', [ids], { to: attr.int(TensorType.Float) }, 'logits');
    h.output('logits', TensorType.Float, ['batch', 'sequence']);
    await writeFile(join(dir, 'model.onnx'), h.toBytes({ opset: 17 }));
    await expectProblem(dir, 'graph-mismatch', 'model.onnx', /no input "attention_mask"/);

    dir = await copy();
    const k = new GraphBuilder('wrong-output');
    const ids2 = k.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
    k.input('attention_mask', TensorType.Int64, ['batch', 'sequence']);
    k.node1('Cast', [ids2], { to: attr.int(TensorType.Float) }, 'logits');
    k.output('logits', TensorType.Float, ['batch', 'sequence']);
    await writeFile(join(dir, 'model.onnx'), k.toBytes({ opset: 17 }));
    await expectProblem(
      dir,
      'graph-mismatch',
      'model.onnx',
      /no output "last_hidden_state" or "token_embeddings" \(its outputs: logits\)/,
    );
  });

  test('the typed error crosses the worker boundary intact', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'model.onnx'), new Uint8Array([1, 2, 3, 4]));
    await assert.rejects(
      createEmbedder({ modelDir: dir, workerPath: TEST_WORKER, threads: 1 }),
      (error: unknown) => {
        return (
          error instanceof ModelFolderError && error.problem === 'malformed' && error.file === 'model.onnx'
        );
      },
    );
  });
});

describe('graphs that output a pooled sentence vector', () => {
  test('a manifest "output" selects it; vectors are normalised and truncated to maxTokens', async () => {
    // A graph that mean-pools its token embeddings itself: [batch, dims] out, like the USE-Lite conversion.
    const dir = join(root.path, 'pooled');
    await mkdir(dir);
    const text = 'the battery cell comprising an electrode and a separator';
    const vocab = buildVocab([...patentWords(100), ...text.split(' ')]);
    const D = 12;
    const random = seededRandom(11);
    const table = Float32Array.from({ length: vocab.length * D }, () => random() - 0.5);
    const g = new GraphBuilder('pooled');
    const ids = g.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
    const mask = g.input('attention_mask', TensorType.Int64, ['batch', 'sequence']);
    const emb = g.node1('Gather', [
      g.initializer('table', { type: TensorType.Float, dims: [vocab.length, D], data: table }),
      ids,
    ]);
    const m = g.node1('Unsqueeze', [
      g.node1('Cast', [mask], { to: attr.int(TensorType.Float) }),
      g.constInt64('axis2', [2]),
    ]);
    const axes = g.constInt64('axis1', [1]);
    const sum = g.node1('ReduceSum', [g.node1('Mul', [emb, m]), axes], { keepdims: attr.int(0) });
    g.node1(
      'Div',
      [sum, g.node1('ReduceSum', [m, axes], { keepdims: attr.int(0) })],
      {},
      'sentence_embedding',
    );
    g.output('sentence_embedding', TensorType.Float, ['batch', D]);
    await writeFile(join(dir, 'model.onnx'), g.toBytes({ opset: 17 }));
    await writeJson(join(dir, 'tokenizer.json'), wordPieceTokenizerJson(vocab));
    await writeJson(join(dir, 'patent-passages.json'), {
      id: 'pooled-test',
      output: 'sentence_embedding',
      maxTokens: 6,
      dims: D,
    });

    const e = await createEmbedder({
      modelDir: dir,
      workerPath: TEST_WORKER,
      threads: 1,
      longText: 'truncate',
    });
    try {
      assert.equal(e.dims, D);
      assert.match(e.modelId, /^pooled-test@[0-9a-f]{12}\/12$/);
      const [v] = await e.embed([text, 'a']);
      // [CLS] + 4 content tokens + [SEP], mean of their rows, normalised.
      const encoded = vocab.indexOf('[CLS]');
      const rows = [
        encoded,
        ...text
          .split(' ')
          .slice(0, 4)
          .map((w) => vocab.indexOf(w)),
        vocab.indexOf('[SEP]'),
      ];
      assert.ok(rows.every((r) => r >= 0));
      const want = new Float64Array(D);
      for (const r of rows)
        for (let d = 0; d < D; d++)
          want[d] = (want[d] as number) + (table[r * D + d] as number) / rows.length;
      const n = Math.sqrt(want.reduce((s, x) => s + x * x, 0));
      assert.ok(
        maxAbsDiff(
          v as Float32Array,
          want.map((x) => x / n),
        ) <= 1e-6,
      );
    } finally {
      await e.dispose();
    }
  });
});

describe('manifest "hybrid": the dense share of hybrid scores as a property of the model', () => {
  const withManifest = async (manifest: unknown): Promise<string> => {
    const dir = await copy();
    await writeJson(join(dir, 'patent-passages.json'), manifest);
    return dir;
  };

  test('a folder without one states no weight (search falls back to the global default)', async () => {
    assert.equal((await loadModelFolder(good.dir)).hybridDenseWeight, undefined);
    const dir = await withManifest({ id: 'no-weight' });
    assert.equal((await loadModelFolder(dir)).hybridDenseWeight, undefined);
  });

  for (const weight of [0, 0.15, 1]) {
    test(`"hybrid": { "denseWeight": ${weight} } is the spec's weight`, async () => {
      const dir = await withManifest({ id: 'weighted', hybrid: { denseWeight: weight } });
      const spec = await loadModelFolder(dir);
      assert.equal(spec.hybridDenseWeight, weight);
      assert.equal(spec.id, 'weighted');
    });
  }

  test('the weight reaches the embedder the index reads it from', async () => {
    const dir = await withManifest({ hybrid: { denseWeight: 0.35 } });
    const embedder = await createEmbedder({ modelDir: dir, workerPath: TEST_WORKER, threads: 1 });
    try {
      assert.equal(embedder.hybridDenseWeight, 0.35);
    } finally {
      await embedder.dispose();
    }
  });

  for (const [label, hybrid, message] of [
    [
      'with denseWeight above 1',
      { denseWeight: 1.5 },
      /"hybrid\.denseWeight" must be a number from 0 to 1, not 1\.5/,
    ],
    [
      'with denseWeight below 0',
      { denseWeight: -0.1 },
      /"hybrid\.denseWeight" must be a number from 0 to 1, not -0\.1/,
    ],
    [
      'with denseWeight as a string',
      { denseWeight: '0.3' },
      /"hybrid\.denseWeight" must be a number from 0 to 1, not "0\.3"/,
    ],
    [
      'with denseWeight null',
      { denseWeight: null },
      /"hybrid\.denseWeight" must be a number from 0 to 1, not null/,
    ],
    ['without denseWeight (a misspelt key)', { dense_weight: 0.3 }, /"hybrid\.denseWeight" is missing/],
    ['as a bare number instead of an object', 0.3, /"hybrid" must be an object \{ "denseWeight"/],
  ] as const) {
    test(`"hybrid" ${label} is refused, naming the manifest`, async () => {
      const dir = await withManifest({ id: 'bad-weight', hybrid });
      await expectProblem(dir, 'invalid', 'patent-passages.json', message);
    });
  }

  test('the weight is not part of the fingerprint: setting or changing it keeps the cache', async () => {
    const dir = await withManifest({ id: 'weighted', maxTokens: 64 });
    const without = (await loadModelFolder(dir)).fingerprint;
    await writeJson(join(dir, 'patent-passages.json'), {
      id: 'weighted',
      hybrid: { denseWeight: 0.1 },
      maxTokens: 64,
    });
    const set = (await loadModelFolder(dir)).fingerprint;
    await writeJson(join(dir, 'patent-passages.json'), {
      id: 'weighted',
      hybrid: { denseWeight: 0.4 },
      maxTokens: 64,
    });
    const changed = (await loadModelFolder(dir)).fingerprint;
    assert.deepEqual([set, changed], [without, without]);
    // What does decide the vectors still counts.
    await writeJson(join(dir, 'patent-passages.json'), {
      id: 'weighted',
      hybrid: { denseWeight: 0.4 },
      maxTokens: 32,
    });
    assert.notEqual((await loadModelFolder(dir)).fingerprint, without);
  });
});

describe('model fingerprint: every file that decides the vectors', () => {
  /** Edits one file of a fresh copy; returns the fingerprints before and after. */
  async function fingerprintAfter(edit: (dir: string) => Promise<void>): Promise<[string, string]> {
    const dir = await copy();
    const before = (await loadModelFolder(dir)).fingerprint;
    await edit(dir);
    return [before, (await loadModelFolder(dir)).fingerprint];
  }
  const appendSpace = (file: string) => async (dir: string) =>
    writeFile(join(dir, file), `${await readFile(join(dir, file), 'utf8')} `);

  for (const file of [
    'tokenizer.json',
    'tokenizer_config.json',
    'config.json',
    'modules.json',
    '1_Pooling/config.json',
    'sentence_bert_config.json',
  ]) {
    test(`a changed ${file} changes it`, async () => {
      const [before, after] = await fingerprintAfter(appendSpace(file));
      assert.notEqual(after, before);
    });
  }

  for (const file of ['special_tokens_map.json', 'vocab.txt', 'config_sentence_transformers.json']) {
    test(`${file}, added or changed, changes it`, async () => {
      const dir = await copy();
      const without = (await loadModelFolder(dir)).fingerprint;
      await writeFile(join(dir, file), file.endsWith('.json') ? '{}' : '[PAD]\n');
      const added = (await loadModelFolder(dir)).fingerprint;
      await writeFile(join(dir, file), file.endsWith('.json') ? '{ }' : '[PAD]\n[UNK]\n');
      const changed = (await loadModelFolder(dir)).fingerprint;
      assert.equal(new Set([without, added, changed]).size, 3);
    });
  }

  test('one byte changed in the middle of model.onnx (same size) changes it', async () => {
    const [before, after] = await fingerprintAfter(async (dir) => {
      const bytes = await readFile(join(dir, 'model.onnx'));
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] ?? 0) ^ 1;
      await writeFile(join(dir, 'model.onnx'), bytes);
    });
    assert.notEqual(after, before);
  });

  test('an unrelated file (a README, a PyTorch checkpoint) does not change it', async () => {
    const [before, after] = await fingerprintAfter(async (dir) => {
      await writeFile(join(dir, 'README.md'), '# notes');
      await writeFile(join(dir, 'pytorch_model.bin'), 'weights the ONNX graph does not use');
    });
    assert.equal(after, before);
  });

  test('external data files that model.onnx names count; a location outside the folder is ignored', async () => {
    // A TensorProto's external_data entries as protobuf bytes: { key: "location", value: <name> }.
    const entry = (name: string): Buffer =>
      Buffer.concat([
        Buffer.from('\x0a\x08location\x12', 'latin1'),
        Buffer.from([Buffer.byteLength(name)]),
        Buffer.from(name),
      ]);
    const dir = await copy();
    const onnx = await readFile(join(dir, 'model.onnx'));
    // The entry straddles the 1 MB read boundary, as it may in a large file.
    const pad = Buffer.alloc(Math.max(0, (1 << 20) - 5 - onnx.length));
    await writeFile(
      join(dir, 'model.onnx'),
      Buffer.concat([onnx, pad, entry('model.onnx_data'), entry('../outside.bin')]),
    );
    await writeFile(join(dir, 'model.onnx_data'), Buffer.alloc(4096, 1));
    const first = (await loadModelFolder(dir)).fingerprint;
    await writeFile(join(dir, 'model.onnx_data'), Buffer.alloc(4096, 2));
    const second = (await loadModelFolder(dir)).fingerprint;
    assert.notEqual(second, first, 'changed external weights change it');
    await writeFile(join(root.path, 'outside.bin'), 'not the model folder');
    assert.equal((await loadModelFolder(dir)).fingerprint, second);
  });
});

describe('a changed tokenizer re-embeds the index', () => {
  test('swapping two tokens in tokenizer.json gives another modelId, and the index embeds everything again', async () => {
    const dir = await copy();
    const { PassageIndex } = await import('../../../src/core/index/passage-index');
    const { DirectorySource } = await import('../../../src/core/index/source');
    const { CountingEmbedder, RecordingLogger, parse, workspaceWith } = await import('../index/helpers');
    const workspace = await workspaceWith(['uspto/US08930553.xml']);
    const storePath = join(workspace, '.patent-passages', 'passages.ppidx');
    const run = async () => {
      const embedder = new CountingEmbedder(
        await createEmbedder({ modelDir: dir, workerPath: TEST_WORKER, idleTimeoutMs: 0, threads: 1 }),
      );
      const logger = new RecordingLogger();
      const index = new PassageIndex({
        source: new DirectorySource(workspace),
        embedder,
        parse,
        logger,
        storePath,
      });
      await index.update('full');
      const paragraphs = index.status().paragraphs;
      const [vector] = await embedder.embed(['a display device with a storage box'], { kind: 'query' });
      await index.dispose();
      await embedder.dispose();
      return {
        modelId: embedder.modelId,
        embedded: embedder.passageTexts.length,
        paragraphs,
        logger,
        vector,
      };
    };
    const first = await run();
    assert.ok(first.embedded > 0);
    const unchanged = await run();
    assert.equal(unchanged.embedded, 0, 'same model: the cache is reused');

    // Swap the ids of two words the documents use: the same text now gets other vectors.
    const tokenizer = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
      model: { vocab: Record<string, number> };
    };
    const [a, b] = ['display', 'device'].filter((w) => w in tokenizer.model.vocab);
    assert.ok(a && b, 'both words are in the test vocabulary');
    const vocab = tokenizer.model.vocab;
    [vocab[a], vocab[b]] = [vocab[b] as number, vocab[a] as number];
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));

    const changed = await run();
    assert.notEqual(changed.modelId, first.modelId);
    assert.ok(
      maxAbsDiff(changed.vector as Float32Array, first.vector as Float32Array) > 1e-4,
      'vectors differ',
    );
    assert.equal(changed.embedded, changed.paragraphs, 'every paragraph embedded again');
    assert.equal(changed.logger.count('info', /re-embedding the workspace/), 1);
  });
});
