/**
 * The index over a folder holding a bulk file: each patent in it is its own index document (label,
 * citation key, role), change detection and deletion work per file, the cache keeps the documents apart
 * across a restart, and a bulk file bypasses the whole-file size limit. The embedder is the hashing
 * stand-in (mechanics only) and those searches are lexical; the last test runs the CLI with the real model.
 */
import assert from 'node:assert/strict';
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectBulk, parseBulkFile } from '../../../src/core/documents';
import { PassageIndex, type PassageIndexOptions } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { silentLogger } from '../../../src/core/logger';
import { assignCitationKeys } from '../../../src/shared/citations';
import { zipBytes } from '../../support/zip-writer';
import type { CliCommand } from '../../../src/cli/command';
import { createIndexCommand } from '../../../src/cli/commands/index';
import { createSearchCommand } from '../../../src/cli/commands/search';
import { HashingEmbedder, parse, REPO_ROOT, SHARED_DATA, WORKER_BOOTSTRAP, workspaceWith } from './helpers';

const US = [
  'US07272630B2.xml',
  'US08926509.xml',
  'US08930553.xml',
  'US20050004437A1.xml',
  'US20050004974A1.xml',
].map((f) => join(SHARED_DATA, 'uspto', f));
const NUMBERS = ['US07272630B2', 'US08926509B2', 'US08930553B2', 'US20050004437A1', 'US20050004974A1'];

const bulk: PassageIndexOptions['bulk'] = {
  detect: (path, signal) => detectBulk(path, signal),
  read: (path, options) => parseBulkFile(path, options),
};

async function concatenated(files: string[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}

async function setup(extra: Partial<PassageIndexOptions> = {}, include?: string[]) {
  const dir = await workspaceWith(['ep/grant-v1-2-B2.xml']);
  const bulkPath = join(dir, 'ipg-weekly.xml');
  await writeFile(bulkPath, await concatenated(US));
  const storePath = join(dir, '.patent-passages', 'passages.ppidx');
  const open = () =>
    new PassageIndex({
      source: new DirectorySource(dir, include ? { include } : {}),
      embedder: new HashingEmbedder(),
      parse,
      logger: silentLogger,
      storePath,
      bulk,
      ...extra,
    });
  return { dir, bulkPath, open };
}

test('each patent of a bulk file is its own document: label, citation key, opening range', async () => {
  const { bulkPath, open } = await setup();
  const index = open();
  const result = await index.update('full');
  assert.equal(result.filesRead, 2);
  assert.equal(index.status().documents, 6);
  const fromBulk = index.indexedDocuments().filter((d) => d.uri === bulkPath);
  assert.deepEqual(
    fromBulk.map((d) => [d.label, d.part?.ordinal]),
    NUMBERS.map((n, i) => [n, i + 1]),
  );

  const response = await index.search({
    text: 'wireless physiological sensor patch that transmits data',
    mode: 'lexical',
    topK: 30,
  });
  const top = response.results[0]!;
  assert.equal(top.documentLabel, 'US08926509B2');
  assert.equal(top.uri, bulkPath, 'opens the bulk file');
  assert.equal(top.documentKey, `${bulkPath}#2`);
  // The range is in the whole file: the paragraph's markup is there.
  const text = await readFile(bulkPath, 'utf8');
  const at = text.slice(top.range.startOffset, top.range.endOffset);
  assert.match(at, /^<p id="p-\d+" num="\d+">/);
  assert.equal(text.split('\n').length > top.range.start.line, true);

  // Citation keys: one per patent, not one for the file.
  const broad = await index.search({
    text: 'a device that sends data to a computer over a network',
    mode: 'lexical',
    topK: 40,
  });
  const labels = new Set(broad.results.map((h) => h.documentLabel));
  assert.ok(labels.size >= 2, `results from ${labels.size} documents`);
  const keys = assignCitationKeys(broad.results);
  assert.equal(keys.size, labels.size);
  for (const hit of broad.results) {
    const sameKey = broad.results.filter(
      (h) => keys.get(h.documentKey ?? h.uri) === keys.get(hit.documentKey ?? hit.uri),
    );
    assert.ok(sameKey.every((h) => h.documentLabel === hit.documentLabel));
  }
  await index.dispose();

  // The cache keeps them apart: a new index reads nothing and finds the same documents.
  const reopened = open();
  const again = await reopened.update('full');
  assert.equal(again.filesRead, 0);
  assert.equal(again.paragraphsEmbedded, 0);
  assert.deepEqual(
    reopened
      .indexedDocuments()
      .filter((d) => d.uri === bulkPath)
      .map((d) => d.label),
    NUMBERS,
  );
  await reopened.dispose();
});

test('a changed bulk file is read again whole; a deleted one removes all its documents', async () => {
  const { bulkPath, open } = await setup();
  const index = open();
  await index.update('full');
  assert.equal(index.status().documents, 6);
  await writeFile(bulkPath, await concatenated(US.slice(2)));
  const later = new Date(Date.now() + 5000);
  await utimes(bulkPath, later, later);
  const changed = await index.update([{ kind: 'changed', uri: bulkPath }]);
  assert.equal(changed.filesRead, 1);
  assert.deepEqual(
    index
      .indexedDocuments()
      .filter((d) => d.uri === bulkPath)
      .map((d) => d.label),
    NUMBERS.slice(2),
  );
  const gone = await index.search({ text: 'wireless physiological sensor patch', mode: 'lexical', topK: 50 });
  assert.ok(
    gone.results.every((h) => h.documentLabel !== 'US08926509B2'),
    'the removed patent is not found',
  );
  await rm(bulkPath);
  const deleted = await index.update([{ kind: 'deleted', uri: bulkPath }]);
  assert.equal(deleted.filesRemoved, 1);
  assert.equal(index.status().documents, 1);
  await index.dispose();
});

test('a bulk file bypasses the whole-file size limit; a single document over it is still skipped', async () => {
  const { dir, bulkPath, open } = await setup({ maxFileBytes: 200 * 1024 });
  const single = join(dir, 'US08926509.xml'); // 276 KB, one document
  await writeFile(single, await readFile(US[1]!));
  const index = open();
  await index.update('full');
  const uris = new Set(index.indexedDocuments().map((d) => d.uri));
  assert.ok(uris.has(bulkPath), 'the 660 KB bulk file is read');
  assert.ok(!uris.has(single), 'the 276 KB single document is skipped');
  assert.match(index.status().message ?? '', /over the 200 KB limit skipped: .*US08926509\.xml/);
  await index.dispose();
});

test('a damaged patent inside a bulk file is reported; the others are indexed', async () => {
  const { bulkPath, open } = await setup();
  const texts = await Promise.all(US.map((f) => readFile(f, 'utf8')));
  // Cut off after its DOCTYPE (a broken transfer): no element at all.
  texts[1] = texts[1]!.split('\n').slice(0, 2).join('\n') + '\n';
  await writeFile(bulkPath, texts.join(''));
  const index = open();
  await index.update('full');
  assert.deepEqual(
    index
      .indexedDocuments()
      .filter((d) => d.uri === bulkPath)
      .map((d) => d.label),
    NUMBERS.filter((n) => n !== 'US08926509B2'),
  );
  assert.match(
    index.status().message ?? '',
    /ipg-weekly\.xml: document 2 \(line \d+\): holds no XML element/,
  );
  await index.dispose();
});

test('a zipped bulk file in the folder is indexed without unpacking it', async () => {
  const { dir, bulkPath, open } = await setup({}, ['**/*.{xml,zip}']);
  const zipPath = join(dir, 'ipg-weekly.zip');
  await writeFile(zipPath, zipBytes([{ name: 'ipg-weekly.xml', data: await readFile(bulkPath) }]));
  await rm(bulkPath);
  const index = open();
  await index.update('full');
  const zipped = index.indexedDocuments().filter((d) => d.uri === zipPath);
  assert.deepEqual(
    zipped.map((d) => [d.label, d.part?.entry]),
    NUMBERS.map((n) => [n, 'ipg-weekly.xml']),
  );
  await index.dispose();
});

test('the CLI indexes and searches a folder holding a bulk file (real model): results name the patent', async () => {
  const dir = await workspaceWith([]);
  await writeFile(join(dir, 'ipa-weekly.xml'), await concatenated([US[2]!, US[3]!]));
  const paths = { workerPath: WORKER_BOOTSTRAP, packageRoot: REPO_ROOT };
  const run = async (command: CliCommand, args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await command.run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  };
  const indexed = await run(createIndexCommand(paths), [dir, '--json']);
  assert.equal(indexed.code, 0, indexed.stderr);
  assert.equal((JSON.parse(indexed.stdout) as { documents: number }).documents, 2);
  const searched = await run(createSearchCommand(paths), [
    dir,
    '--query',
    'a device that shows a virtual creature to evaluate blood sugar levels in a playful way',
    '--top',
    '3',
    '--json',
  ]);
  assert.equal(searched.code, 0, searched.stderr);
  const top = (JSON.parse(searched.stdout) as { results: { file: string; document: string }[] }).results[0];
  assert.deepEqual([top?.file, top?.document], ['ipa-weekly.xml', 'US20050004437A1']);
});
