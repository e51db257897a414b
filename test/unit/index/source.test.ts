import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DirectorySource } from '../../../src/core/index/source';
import { temporaryFolder } from './helpers';

test('files and folders whose names start with two dots are inside the root and are listed', async () => {
  const root = await temporaryFolder('pp-source-');
  await writeFile(join(root, '..notes.md'), 'A note.\n');
  await mkdir(join(root, '..drafts'));
  await writeFile(join(root, '..drafts', 'claims.txt'), '1. A claim.\n');
  await writeFile(join(root, 'plain.md'), 'Plain.\n');
  const source = new DirectorySource(root);
  const listed = (await source.list()).map((f) => f.uri);
  assert.deepEqual(
    listed.sort(),
    [join(root, '..drafts', 'claims.txt'), join(root, '..notes.md'), join(root, 'plain.md')].sort(),
  );
  assert.equal((await source.stat(join(root, '..notes.md')))?.size, 8);
});

test('files outside the root are not in scope, however the path is written', async () => {
  const parent = await temporaryFolder('pp-source-');
  const root = join(parent, 'workspace');
  await mkdir(root);
  await writeFile(join(parent, 'outside.md'), 'Outside.\n');
  const source = new DirectorySource(root);
  assert.equal(await source.stat(join(parent, 'outside.md')), undefined);
  assert.equal(await source.stat(join(root, '..', 'outside.md')), undefined);
  assert.equal(await source.stat(root), undefined);
});
