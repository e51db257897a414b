import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { fetchModel } from '../../../scripts/models/fetch-model';
import { loadModelFolder } from '../../../src/core/embedding';
import { SentenceModel } from '../../../src/core/embedding/sentence-model';
import { writeSyntheticCheckpoint } from '../../../src/modelbuild/synthetic';
import { maxAbsDiff, patentWords, tempDir } from '../embedding/fixtures';
import { referenceSentenceVector } from '../embedding/reference-bert';

// The hub cannot be reached from here, so a local HTTP server plays it, serving a synthetic checkpoint in
// the hub's URL layout (/<owner>/<name>/resolve/<revision>/<file>). Everything after the HTTP layer is real.
let root: Awaited<ReturnType<typeof tempDir>>;
let server: Server;
let endpoint: string;
let requests: string[] = [];
let checkpoint: Awaited<ReturnType<typeof writeSyntheticCheckpoint>>;

before(async () => {
  root = await tempDir('pp-fetch-');
  const hubDir = join(root.path, 'hub');
  checkpoint = await writeSyntheticCheckpoint(hubDir, {
    shape: { hidden: 32, layers: 2, heads: 4, intermediate: 64, maxPositions: 128 },
    words: patentWords(300),
    pooling: 'mean',
    seed: 9,
  });
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/acme\/tiny-bert\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const file = match ? join(hubDir, decodeURIComponent(match[1] as string)) : undefined;
    stat(file ?? '/nonexistent').then(
      (info) => {
        res.writeHead(200, { 'content-length': info.size });
        createReadStream(file as string).pipe(res);
      },
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await root.remove();
});

test('model:fetch downloads a checkpoint, exports it and writes a model folder the engine runs', async () => {
  const modelsDir = join(root.path, 'models');
  const { outDir } = await fetchModel({
    repo: 'acme/tiny-bert',
    outDir: join(modelsDir, 'tiny-bert'),
    endpoint,
  });
  assert.deepEqual((await readdir(modelsDir)).sort(), ['tiny-bert'], 'no temporary folder is left');
  const files = await readdir(outDir);
  for (const f of [
    'model.onnx',
    'tokenizer.json',
    'config.json',
    'modules.json',
    '1_Pooling',
    'patent-passages.json',
  ])
    assert.ok(files.includes(f), f);
  assert.ok(!files.includes('model.safetensors'), 'the checkpoint is not kept');

  const spec = await loadModelFolder(outDir);
  assert.equal(spec.id, 'acme/tiny-bert');
  const model = await SentenceModel.load(spec, { threads: 1 });
  const text = 'A rechargeable battery comprising an electrode assembly and a case.';
  const [vector] = await model.embed([text], { longText: 'truncate', maxBatchRows: 8, maxBatchTokens: 4096 });
  await model.release();
  const tokenizer = new Tokenizer(JSON.parse(await readFile(join(outDir, 'tokenizer.json'), 'utf8')), {});
  const want = referenceSentenceVector(
    checkpoint.config,
    checkpoint.weights,
    tokenizer.encode(text).ids,
    'mean',
  );
  assert.ok(maxAbsDiff(vector as Float32Array, want) <= 1e-5);
});

test('model:fetch fails at once when the hub cannot be reached, and writes nothing', async () => {
  const modelsDir = join(root.path, 'offline-models');
  // A port nothing listens on: take a free one and close it again.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const started = Date.now();
  await assert.rejects(
    fetchModel({
      repo: 'bhlim/bge-base-patentmatch',
      outDir: join(modelsDir, 'bge-base-patentmatch'),
      endpoint: `http://127.0.0.1:${port}`,
    }),
    new RegExp(`cannot reach http://127.0.0.1:${port} \\(ECONNREFUSED\\): nothing was written`),
  );
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(stat(modelsDir), /ENOENT/, 'models/ untouched');
});

test('model:fetch refuses an unknown repository, a non-BERT model and an existing folder', async () => {
  requests = [];
  const modelsDir = join(root.path, 'models-2');
  await assert.rejects(
    fetchModel({ repo: 'acme/missing', outDir: join(modelsDir, 'missing'), endpoint }),
    /acme\/missing\/resolve\/main\/config.json: HTTP 404/,
  );
  await assert.rejects(fetchModel({ repo: 'not a repo', endpoint }), /is not a hub model id/);
  await assert.rejects(
    fetchModel({ repo: 'acme/tiny-bert', outDir: root.path, endpoint }),
    /already exists \(use --force/,
  );
  await assert.rejects(stat(modelsDir), /ENOENT/);
});
