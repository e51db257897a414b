import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LANCEDB_VERSION, loadLanceDb, PEERS_FOLDER } from '../../src/cli/commands/bench-peers';

test('bench without LanceDB installed says it skipped it and how to install it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pp-peers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const peer = loadLanceDb(root);
  assert.ok('skipped' in peer);
  assert.match(peer.skipped, /npm run bench:peers:install/);
  assert.match(peer.skipped, new RegExp(`@lancedb/lancedb@${LANCEDB_VERSION.replace(/\./g, '\\.')}`));
});

test('bench refuses a LanceDB other than the pinned version rather than measure it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pp-peers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const packageFolder = join(root, PEERS_FOLDER, 'node_modules', '@lancedb', 'lancedb');
  await mkdir(packageFolder, { recursive: true });
  await writeFile(
    join(packageFolder, 'package.json'),
    JSON.stringify({ name: '@lancedb/lancedb', version: '0.39.0' }),
  );
  const peer = loadLanceDb(root);
  assert.ok('skipped' in peer);
  assert.match(peer.skipped, /holds LanceDB 0\.39\.0, the bench pins 0\.31\.0/);
});

test('the installed peer loads with its native module capped to 2 threads', (t) => {
  const root = join(__dirname, '../..');
  if (!existsSync(join(root, PEERS_FOLDER, 'node_modules', '@lancedb', 'lancedb'))) {
    t.skip('needs `npm run bench:peers:install` (never part of the normal test run)');
    return;
  }
  const peer = loadLanceDb(root);
  assert.ok(!('skipped' in peer), 'skipped' in peer ? peer.skipped : '');
  assert.equal(peer.version, LANCEDB_VERSION);
  assert.equal(typeof peer.lancedb.connect, 'function');
  assert.equal(process.env.LANCE_CPU_THREADS, '2');
});
