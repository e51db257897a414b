import assert from 'node:assert/strict';
import { readFile, rename, rm, utimes, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { silentLogger } from '../../../src/core/logger';
import type { Embedder } from '../../../src/core/embedding/embedder';
import { CountingEmbedder, parse, realEmbedder, SHARED_DATA, workspaceWith } from './helpers';

// The real engine (default model, worker thread), wrapped to count what it is asked to embed.
let engine: Embedder;
before(async () => {
  engine = await realEmbedder();
});
after(async () => {
  await engine.dispose();
});

const DOCS = ['ep/application-v1-5-A1.xml', 'uspto/US08930553.xml', 'uspto/US20050004437A1.xml'];

async function setup(): Promise<{ dir: string; embedder: CountingEmbedder; open: () => PassageIndex }> {
  const dir = await workspaceWith(DOCS);
  const embedder = new CountingEmbedder(engine);
  const open = (): PassageIndex =>
    new PassageIndex({
      source: new DirectorySource(dir),
      embedder,
      parse,
      logger: silentLogger,
      storePath: join(dir, '.patent-passages', 'passages.ppidx'),
    });
  return { dir, embedder, open };
}

/** Writes a file and moves its mtime forward, so the size + mtime check cannot miss the change. */
async function rewrite(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  const later = new Date(Date.now() + 5000);
  await utimes(path, later, later);
}

test('a first full update embeds every distinct paragraph once; a second embeds nothing', async () => {
  const { embedder, open } = await setup();
  const index = open();
  const first = await index.update('full');
  assert.equal(first.filesRead, 3);
  const status = index.status();
  assert.equal(status.documents, 3);
  assert.ok(status.paragraphs > 80, `paragraphs: ${status.paragraphs}`);
  assert.equal(embedder.passageTexts.length, new Set(embedder.passageTexts).size, 'no text embedded twice');
  assert.equal(first.paragraphsEmbedded, embedder.passageTexts.length);
  embedder.reset();
  const second = await index.update('full');
  assert.deepEqual([second.filesRead, second.paragraphsEmbedded, embedder.passageTexts.length], [0, 0, 0]);
  await index.dispose();

  // A new process (a new PassageIndex over the saved store) re-embeds nothing either.
  const reopened = open();
  const third = await reopened.update('full');
  assert.deepEqual([third.filesRead, third.paragraphsEmbedded, embedder.passageTexts.length], [0, 0, 0]);
  assert.equal(reopened.status().paragraphs, status.paragraphs);
  await reopened.dispose();
});

test('editing one paragraph re-embeds only that paragraph', async () => {
  const { dir, embedder, open } = await setup();
  const index = open();
  await index.update('full');
  embedder.reset();
  const file = join(dir, 'ep/application-v1-5-A1.xml');
  const xml = await readFile(file, 'utf8');
  const before = 'This disclosure relates to the field of display technologies';
  assert.ok(xml.includes(before));
  await rewrite(
    file,
    xml.replace(before, 'This disclosure relates to the field of foldable display technologies'),
  );
  const result = await index.update([{ kind: 'changed', uri: file }]);
  assert.equal(result.filesRead, 1);
  assert.equal(embedder.passageTexts.length, 1);
  assert.match(embedder.passageTexts[0] ?? '', /foldable display technologies/);
  const hits = await index.search({ text: 'foldable display technologies', mode: 'lexical', topK: 1 });
  assert.equal(hits.results[0]?.paragraphNumber, '0002');
  assert.ok(hits.results[0]?.matchedTerms.includes('foldable'));
  await index.dispose();
});

test('adding, deleting and renaming files: only new paragraphs are embedded', async () => {
  const { dir, embedder, open } = await setup();
  const index = open();
  await index.update('full');
  const paragraphsBefore = index.status().paragraphs;

  // Add: only the new document's paragraphs.
  embedder.reset();
  const added = join(dir, 'more', 'US20050004974A1.xml');
  await (await import('node:fs/promises')).mkdir(join(dir, 'more'));
  await copyFile(join(SHARED_DATA, 'uspto/US20050004974A1.xml'), added);
  const addResult = await index.update([{ kind: 'created', uri: added }]);
  assert.equal(addResult.filesRead, 1);
  const addedParagraphs = index.status().paragraphs - paragraphsBefore;
  assert.ok(addedParagraphs > 100);
  assert.ok(embedder.passageTexts.length > 0 && embedder.passageTexts.length <= addedParagraphs);

  // Rename: nothing re-embedded, results point at the new name.
  embedder.reset();
  const renamed = join(dir, 'more', 'renamed.xml');
  await rename(added, renamed);
  await index.update([{ kind: 'renamed', oldUri: added, uri: renamed }]);
  assert.equal(embedder.passageTexts.length, 0, 'a rename re-embeds nothing');
  const afterRename = await index.search({ text: 'gas turbine engine', mode: 'hybrid', topK: 50 });
  assert.ok(afterRename.results.every((h) => h.uri !== added));

  // Watchers often report a rename as delete + create in separate events: still nothing re-embedded.
  embedder.reset();
  const again = join(dir, 'more', 'again.xml');
  await rename(renamed, again);
  await index.update([{ kind: 'deleted', uri: renamed }]);
  await index.update([{ kind: 'created', uri: again }]);
  assert.equal(embedder.passageTexts.length, 0, 'delete + create of the same content re-embeds nothing');

  // Delete: the paragraphs leave the index, nothing embedded.
  embedder.reset();
  await rm(again);
  const deleted = await index.update([{ kind: 'deleted', uri: again }]);
  assert.equal(deleted.filesRemoved, 1);
  assert.equal(index.status().paragraphs, paragraphsBefore);
  assert.equal(embedder.passageTexts.length, 0);
  const afterDelete = await index.search({ text: 'gas turbine', mode: 'lexical', topK: 100 });
  assert.ok(afterDelete.results.every((h) => !h.uri.startsWith(join(dir, 'more'))));

  // A full rescan agrees with the incremental state.
  const full = await index.update('full');
  assert.deepEqual([full.filesRead, full.filesRemoved, full.paragraphsEmbedded], [0, 0, 0]);
  await index.dispose();
});

test('unsaved editor text is searchable and replaced by the file once the editor reverts', async () => {
  const { dir, embedder } = await setup();
  const file = join(dir, 'uspto/US08930553.xml');
  const overlay = new Map<string, { text: string; version: number }>();
  const disk = new DirectorySource(dir);
  // The extension's source reads open, modified documents from the editor: modelled here with a map.
  const source = {
    list: (signal?: AbortSignal) => disk.list(signal),
    stat: async (uri: string) => {
      const unsaved = overlay.get(uri);
      const info = await disk.stat(uri);
      return unsaved && info
        ? { ...info, size: Buffer.byteLength(unsaved.text), version: unsaved.version }
        : info;
    },
    read: async (uri: string) => {
      const unsaved = overlay.get(uri);
      return unsaved ? Buffer.from(unsaved.text) : disk.read(uri);
    },
  };
  const index = new PassageIndex({ source, embedder, parse, logger: silentLogger });
  await index.update('full');
  const xml = await readFile(file, 'utf8');
  const firstParagraph = /<p id="p-0003" num="0002">([^<]{20,})/.exec(xml);
  assert.ok(firstParagraph, 'fixture has paragraph 0002');
  overlay.set(file, {
    text: xml.replace(firstParagraph[1] as string, 'A zeppelin mooring mast with a rotating nose cone. '),
    version: 7,
  });
  embedder.reset();
  await index.update([{ kind: 'changed', uri: file }]);
  assert.equal(embedder.passageTexts.length, 1);
  const found = await index.search({ text: 'zeppelin mooring mast', mode: 'lexical', topK: 1 });
  assert.equal(found.results[0]?.uri, file);

  overlay.delete(file); // the editor reverted: the file on disk counts again
  await index.update([{ kind: 'changed', uri: file }]);
  const gone = await index.search({ text: 'zeppelin mooring mast', mode: 'lexical', topK: 5 });
  assert.equal(gone.results.length, 0);
  await index.dispose();
});

test('cancelling an update keeps what was done; the next update resumes with the rest', async () => {
  const { embedder, open } = await setup();
  const index = open();
  const controller = new AbortController();
  let batches = 0;
  const result = await index.update('full', {
    signal: controller.signal,
    progress: (p) => {
      if (p.message === 'Embedding paragraphs' && ++batches === 2) controller.abort();
    },
  });
  assert.equal(result.cancelled, true);
  const done = embedder.passageTexts.length;
  assert.ok(done > 0);
  assert.ok((index.status().pendingEmbeddings ?? 0) > 0);
  await index.dispose();

  // A new process resumes: it embeds only what was left.
  const resumed = open();
  const doneBefore = new Set(embedder.passageTexts);
  embedder.reset();
  const rest = await resumed.update('full');
  assert.equal(rest.cancelled, false);
  assert.equal(resumed.status().pendingEmbeddings, 0);
  assert.ok(embedder.passageTexts.length > 0);
  assert.ok(
    embedder.passageTexts.every((t) => !doneBefore.has(t)),
    'nothing embedded twice',
  );
  await resumed.dispose();
});
