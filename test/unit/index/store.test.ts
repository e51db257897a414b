import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { loadStore, saveStore, STORE_MAGIC } from '../../../src/core/index/store';
import { VectorTable } from '../../../src/core/search/vector-table';
import {
  CountingEmbedder,
  fingerprintFiles,
  HashingEmbedder,
  parse,
  RecordingLogger,
  REPO_ROOT,
  temporaryFolder,
  workspaceWith,
} from './helpers';

const DOCS = ['ep/application-v1-5-A1.xml', 'uspto/US08930553.xml'];

async function indexed(embedder = new CountingEmbedder(new HashingEmbedder())) {
  const dir = await workspaceWith(DOCS);
  const storePath = join(dir, '.patent-passages', 'passages.ppidx');
  const logger = new RecordingLogger();
  const open = (e = embedder): PassageIndex =>
    new PassageIndex({ source: new DirectorySource(dir), embedder: e, parse, logger, storePath });
  const index = open();
  await index.update('full');
  const paragraphs = index.status().paragraphs;
  await index.dispose();
  return { dir, storePath, logger, open, embedder, paragraphs };
}

test('the store round-trips documents and int8 vectors', async () => {
  const { storePath, paragraphs } = await indexed();
  const loaded = await loadStore(storePath, {
    modelId: 'test-hashing-bag-of-words',
    dims: 64,
    recipe: 'whole',
  });
  assert.ok(loaded.ok);
  const bytes = await readFile(storePath);
  assert.ok(bytes.subarray(0, 8).equals(STORE_MAGIC));
  assert.equal(
    loaded.contents.documents.reduce((n, d) => n + d.paragraphs.length, 0),
    paragraphs,
  );
  const table = loaded.contents.vectors;
  const hash = loaded.contents.documents[0]?.paragraphs[0]?.hash as string;
  const [original] = await new HashingEmbedder().embed([
    loaded.contents.documents[0]?.paragraphs[0]?.text as string,
  ]);
  const cosine = table.score(original as Float32Array, hash) as number;
  assert.ok(Math.abs(cosine - 1) < 0.01, `int8 self-cosine ${cosine}`);
});

for (const damage of ['truncated', 'bit-flipped'] as const) {
  test(`a ${damage} cache is detected, reported once and rebuilt; the documents are untouched`, async () => {
    const { dir, storePath, open, embedder, paragraphs } = await indexed();
    const filesBefore = await fingerprintFiles(dir);
    const bytes = await readFile(storePath);
    if (damage === 'truncated') await writeFile(storePath, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    else {
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] ?? 0) ^ 0x10; // one bit, in the middle of the vectors
      await writeFile(storePath, bytes);
    }
    const logger = new RecordingLogger();
    const index = new PassageIndex({ source: new DirectorySource(dir), embedder, parse, logger, storePath });
    const statuses: string[] = [];
    index.onDidChangeStatus((s) => s.message && statuses.push(s.message));
    embedder.reset();
    // Search works at once (lexically), while the rebuild runs.
    const updating = index.update('full');
    const during = await index.search({ text: 'vehicular display storage box', mode: 'hybrid', topK: 3 });
    await updating;
    assert.ok(Array.isArray(during.results));
    assert.equal(logger.count('warn', /damaged/), 1, 'reported once');
    assert.ok(statuses.some((m) => /damaged.*rebuilt/.test(m)));
    assert.equal(index.status().paragraphs, paragraphs);
    assert.ok(embedder.passageTexts.length > 0, 'vectors were recomputed');
    const after = await index.search({ text: 'vehicular display storage box', mode: 'hybrid', topK: 3 });
    assert.equal(after.results.length, 3);
    await index.dispose();
    assert.deepEqual(await fingerprintFiles(dir), filesBefore, "the user's files are unchanged");
    const reloaded = await loadStore(storePath, { modelId: embedder.modelId, dims: 64, recipe: 'whole' });
    assert.ok(reloaded.ok, 'the rebuilt cache loads');
    void open;
  });
}

test('a different model (id or dimensions) invalidates the cache', async () => {
  const { dir, storePath, paragraphs } = await indexed();
  const other = new CountingEmbedder(new HashingEmbedder('another-model', 64));
  const logger = new RecordingLogger();
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: other,
    parse,
    logger,
    storePath,
  });
  await index.update('full');
  assert.ok(other.passageTexts.length > 0.9 * paragraphs, 'everything re-embedded with the new model');
  assert.equal(logger.count('info', /built with test-hashing-bag-of-words/), 1);
  await index.dispose();
  const loaded = await loadStore(storePath, { modelId: 'another-model', dims: 64, recipe: 'whole' });
  assert.ok(loaded.ok);
  const wrongDims = await loadStore(storePath, { modelId: 'another-model', dims: 128, recipe: 'whole' });
  assert.equal(wrongDims.ok ? 'ok' : wrongDims.problem, 'mismatch');
});

test('a process killed while writing the cache leaves a cache that loads', async () => {
  const folder = await temporaryFolder('pp-kill-');
  const storePath = join(folder, 'passages.ppidx');
  const child = join(REPO_ROOT, 'test/unit/index/store-writer-child.ts');
  for (let attempt = 0; attempt < 3; attempt++) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, storePath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let saves = 0;
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        saves += chunk
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('saved')).length;
        // Kill after the first complete save, at a moment that varies: usually in the middle of a write.
        if (saves === 1) setTimeout(() => proc.kill('SIGKILL'), 20 + attempt * 37);
      });
      proc.on('exit', () => resolve());
      proc.on('error', reject);
    });
    assert.equal(proc.signalCode, 'SIGKILL');
    const loaded = await loadStore(storePath, { modelId: 'kill-test', dims: 64, recipe: 'whole' });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    assert.equal(loaded.contents.documents.length, 200);
  }
  // Temporary files of killed writers may remain; they never replace the cache.
  const leftovers = (await readdir(folder)).filter((f) => f.endsWith('.tmp'));
  assert.ok(leftovers.every((f) => f.startsWith('passages.ppidx.')));
});

test('when the cache cannot be written the index keeps working in memory and says so once', async () => {
  const dir = await workspaceWith(DOCS);
  const blocker = join(dir, 'not-a-folder');
  await writeFile(blocker, 'a file where the cache folder should be');
  const logger = new RecordingLogger();
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger,
    storePath: join(blocker, 'passages.ppidx'),
  });
  await index.update('full');
  const status = index.status();
  assert.equal(status.storage, 'memory');
  assert.match(status.message ?? '', /cannot be saved/);
  assert.equal(logger.count('warn', /Cannot write the passage cache/), 1);
  const found = await index.search({
    text: 'vehicular display assembly storage box',
    mode: 'hybrid',
    topK: 1,
  });
  assert.equal(found.results.length, 1);
  await index.dispose();
});

test('oversized and unreadable files are skipped with one message naming them; the rest is indexed', async () => {
  const dir = await workspaceWith(DOCS);
  await mkdir(join(dir, 'bad'));
  await writeFile(join(dir, 'bad', 'binary.xml'), Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 0, 9]));
  await writeFile(
    join(dir, 'bad', 'cut.xml'),
    '<?xml version="1.0"?><us-patent-grant><description><p num="0001">cut he',
  );
  const big = join(dir, 'bad', 'big.txt');
  await writeFile(big, 'A paragraph. '.repeat(30_000));
  const logger = new RecordingLogger();
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger,
    maxFileBytes: 200_000,
  });
  const result = await index.update('full');
  assert.equal(result.filesRead >= 2, true);
  const message = index.status().message ?? '';
  assert.match(message, /big\.txt/);
  assert.match(message, /binary\.xml/);
  assert.equal(logger.count('warn', /big\.txt/), 1);
  assert.ok((index.status().skippedFiles ?? 0) >= 2);
  assert.ok(index.status().documents >= 2);
  assert.ok((await stat(big)).size > 200_000, 'files are never modified');
  await index.dispose();
});

test('saveStore then loadStore with an empty index', async () => {
  const folder = await temporaryFolder('pp-empty-');
  const path = join(folder, 'x.ppidx');
  await saveStore(path, {
    identity: { modelId: 'm', dims: 8, recipe: 'whole' },
    documents: [],
    vectors: new VectorTable(8),
  });
  const loaded = await loadStore(path, { modelId: 'm', dims: 8, recipe: 'whole' });
  assert.ok(loaded.ok && loaded.contents.documents.length === 0);
});
