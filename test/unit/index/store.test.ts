import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { loadStore, saveStore, STORE_MAGIC, type StoredDocument } from '../../../src/core/index/store';
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
  // Once a minute old (their writers are gone), the next load sweeps them.
  const aMinuteAgo = new Date(Date.now() - 61_000);
  for (const file of leftovers) await utimes(join(folder, file), aMinuteAgo, aMinuteAgo);
  assert.ok((await loadStore(storePath, { modelId: 'kill-test', dims: 64, recipe: 'whole' })).ok);
  assert.deepEqual(
    (await readdir(folder)).filter((f) => f.endsWith('.tmp')),
    [],
    `${leftovers.length} temporary file(s) of killed writers swept`,
  );
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

// ---- shape of a loaded cache, stale temporary files, a cache path that is no file -------------------------

const IDENTITY = { modelId: 'test-hashing-bag-of-words', dims: 64, recipe: 'whole' };

/** Rewrites a saved store's JSON header and its CRC, so the checksums hold whatever the header says. */
async function rewriteHeader(path: string, edit: (header: Record<string, unknown>) => void): Promise<void> {
  const bytes = await readFile(path);
  const length = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 20, 20 + length)) as Record<string, unknown>;
  edit(header);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.from(bytes.subarray(0, 20));
  preamble.writeUInt32LE(headerBytes.length, 12);
  preamble.writeUInt32LE(crc32(headerBytes), 16);
  await writeFile(path, Buffer.concat([preamble, headerBytes, bytes.subarray(20 + length)]));
}

/** A store of one real document as the index wrote it, then one field of it replaced (checksums recomputed). */
async function cacheWithWrongField(
  edit: (document: Record<string, unknown>, paragraph: Record<string, unknown>) => void,
) {
  const { dir, storePath } = await indexed();
  const loaded = await loadStore(storePath, IDENTITY);
  assert.ok(loaded.ok);
  const [first, ...rest] = loaded.contents.documents;
  const document = { ...first, paragraphs: [...(first as StoredDocument).paragraphs] } as unknown as Record<
    string,
    unknown
  >;
  const paragraphs = document.paragraphs as Record<string, unknown>[];
  paragraphs[0] = { ...paragraphs[0] };
  edit(document, paragraphs[0] as Record<string, unknown>);
  await saveStore(storePath, {
    identity: IDENTITY,
    documents: [document as unknown as StoredDocument, ...rest],
    vectors: loaded.contents.vectors,
  });
  return { dir, storePath };
}

test('a cache with valid checksums but a field of the wrong type is reported once, set aside and rebuilt; no run crashes', async () => {
  // A paragraph text that is an array used to pass the load and crash every update (word.toLowerCase).
  const { dir, storePath } = await cacheWithWrongField((_, p) => (p.text = ['an array, not a string']));
  for (let run = 1; run <= 2; run++) {
    const logger = new RecordingLogger();
    const embedder = new CountingEmbedder(new HashingEmbedder());
    const index = new PassageIndex({ source: new DirectorySource(dir), embedder, parse, logger, storePath });
    await index.update('full');
    const found = await index.search({ text: 'vehicular display storage box', mode: 'hybrid', topK: 3 });
    assert.equal(found.results.length, 3);
    await index.dispose();
    if (run === 1) {
      assert.equal(logger.count('warn', /damaged/), 1, 'reported once');
      const warning = logger.lines.find((l) => l.level === 'warn')?.message ?? '';
      assert.ok(warning.includes(storePath), warning);
      assert.match(warning, /paragraph 1 text is an array, expected a string/);
      assert.ok((await stat(`${storePath}.corrupt`)).isFile(), 'the bad cache is set aside');
      assert.ok(embedder.passageTexts.length > 0, 'vectors were rebuilt');
    } else {
      assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 0, 'the rebuilt cache loads');
      assert.equal(embedder.passageTexts.length, 0, 'nothing embedded again');
    }
  }
});

const wrongFields: [string, (d: Record<string, unknown>, p: Record<string, unknown>) => void, RegExp][] = [
  ['a size that is a string', (d) => (d.size = '12 kB'), /size is a string, expected a whole number/],
  ['a label that is null', (d) => (d.label = null), /label is null, expected a string/],
  ['a paragraph id that is a number', (_, p) => (p.id = 7), /paragraph 1 id is a number/],
  [
    'a range with a string',
    (_, p) => (p.range = { ...(p.range as object), startOffset: 'x' }),
    /range value is a string/,
  ],
  ['a hash that is not hex', (_, p) => (p.hash = 'not a hash'), /paragraph 1 hash is not 32 hex digits/],
  ['a title that is an object', (d) => (d.title = { en: 'x' }), /title is an object, expected a string/],
];
for (const [what, edit, message] of wrongFields) {
  test(`loadStore reports a record with ${what} as damaged, naming the field`, async () => {
    const { storePath } = await cacheWithWrongField(edit);
    const loaded = await loadStore(storePath, IDENTITY);
    assert.equal(loaded.ok ? 'ok' : loaded.problem, 'corrupt');
    assert.match(loaded.ok ? '' : loaded.message, message);
    assert.match(
      loaded.ok ? '' : loaded.message,
      /document record 1: .*US08930553\.xml|document record 1: .*application-v1-5-A1\.xml/,
    );
  });
}

test('loadStore reports a header field of the wrong type as damaged, and never throws', async () => {
  for (const [edit, message] of [
    [(h: Record<string, unknown>) => (h.rows = String(h.rows)), /header: rows is a string/],
    [
      (h: Record<string, unknown>) => (h.entries = -1),
      /header: entries is a number, expected a whole number ≥ 0/,
    ],
    [
      (h: Record<string, unknown>) => (h.documents = (h.documents as number) + 1),
      /document records, the header says/,
    ],
  ] as const) {
    const { storePath } = await indexed();
    await rewriteHeader(storePath, edit);
    const loaded = await loadStore(storePath, IDENTITY);
    assert.equal(loaded.ok ? 'ok' : loaded.problem, 'corrupt');
    assert.match(loaded.ok ? '' : loaded.message, message);
  }
});

/** The pid of a process that has exited. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

test('loading sweeps stale temporary files of killed writers: only ours, only when stale', async () => {
  const folder = await temporaryFolder('pp-sweep-');
  const storePath = join(folder, 'passages.ppidx');
  await saveStore(storePath, { identity: IDENTITY, documents: [], vectors: new VectorTable(64) });
  const dead = await exitedPid();
  const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);
  const files: [string, Date, 'swept' | 'kept'][] = [
    [`passages.ppidx.${dead}.0a1b2c3d.tmp`, minutesAgo(2), 'swept'], // writer gone
    [`passages.ppidx.${dead}.0a1b2c3e.tmp`, minutesAgo(0), 'kept'], // writer gone, but just written
    [`passages.ppidx.${process.pid}.0a1b2c3f.tmp`, minutesAgo(5), 'kept'], // a live writer's
    [`passages.ppidx.${process.pid}.0a1b2c40.tmp`, minutesAgo(20), 'swept'], // too old for any write
    [`other.ppidx.${dead}.0a1b2c41.tmp`, minutesAgo(20), 'kept'], // another store's
    [`passages.ppidx.${dead}.tmp`, minutesAgo(20), 'kept'], // not a name we make
    [`passages.ppidx.${dead}.0a1b2c42.tmp.bak`, minutesAgo(20), 'kept'],
    ['notes.tmp', minutesAgo(20), 'kept'],
  ];
  for (const [name, time] of files) {
    await writeFile(join(folder, name), 'partial');
    await utimes(join(folder, name), time, time);
  }
  const loaded = await loadStore(storePath, IDENTITY);
  assert.ok(loaded.ok, 'the cache itself loads');
  const left = new Set(await readdir(folder));
  for (const [name, , expected] of files) assert.equal(left.has(name) ? 'kept' : 'swept', expected, name);
  assert.ok(left.has('passages.ppidx'));
});

test('a cache path that is a directory: a clear message, nothing renamed or deleted, the index works in memory', async () => {
  const dir = await workspaceWith(DOCS);
  const storePath = join(dir, 'cache-here');
  await mkdir(storePath);
  await writeFile(join(storePath, 'keep.txt'), 'the user put this here');
  const logger = new RecordingLogger();
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger,
    storePath,
  });
  await index.update('full');
  assert.equal(index.status().storage, 'memory');
  assert.match(index.status().message ?? '', /not a file/);
  const found = await index.search({ text: 'vehicular display storage box', mode: 'hybrid', topK: 1 });
  assert.equal(found.results.length, 1);
  await index.dispose();
  assert.equal(logger.count('warn', /cache-here is a directory, not a cache file/), 1);
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1, 'reported once');
  assert.ok((await stat(storePath)).isDirectory());
  assert.deepEqual(await readdir(storePath), ['keep.txt']);
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith('cache-here')),
    ['cache-here'],
  );
  await assert.rejects(
    saveStore(storePath, { identity: IDENTITY, documents: [], vectors: new VectorTable(64) }),
    /cache-here is a directory, not a file; nothing was written/,
  );
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith('cache-here')),
    ['cache-here'],
    'no temporary file',
  );
});

test('loadStore reports a document stored twice as damaged', async () => {
  const { storePath } = await indexed();
  const loaded = await loadStore(storePath, IDENTITY);
  assert.ok(loaded.ok);
  const [first] = loaded.contents.documents;
  await saveStore(storePath, {
    identity: IDENTITY,
    documents: [first as StoredDocument, first as StoredDocument],
    vectors: loaded.contents.vectors,
  });
  const again = await loadStore(storePath, IDENTITY);
  assert.equal(again.ok ? 'ok' : again.problem, 'corrupt');
  assert.match(again.ok ? '' : again.message, /document record 2: .* is stored twice/);
});
