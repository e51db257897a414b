import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { version } from '../../package.json';

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('--version prints the package version', async () => {
  const result = await runCli(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), version);
});

test('--help lists usage and exits 0', async () => {
  const result = await runCli(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Usage: patent-passages <command>/);
});

test('an unknown command fails with a clear message and no stack trace', async () => {
  const result = await runCli(['frobnicate']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
});

test('a reader that closes the pipe early gets no stack trace (the built CLI)', async (t) => {
  const cli = join(__dirname, '../../out/cli.js');
  const document = join(__dirname, '../../../shared/data/uspto/US08926509.xml');
  if (!existsSync(cli) || !existsSync(document)) {
    t.skip('needs `npm run build` and ../shared/data');
    return;
  }
  const child = spawn(process.execPath, [cli, 'parse', document, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Read one chunk of the JSON (the document's is far larger than a pipe buffer), then hang up, as `| head` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('the built CLI is an executable script (shebang, mode 755), so `npx patent-passages` runs it', async (t) => {
  const cli = join(__dirname, '../../out/cli.js');
  if (!existsSync(cli)) {
    t.skip('needs `npm run build`');
    return;
  }
  const { mode } = statSync(cli);
  assert.equal((mode & 0o777).toString(8), '755');
  assert.equal(readFileSync(cli, 'utf8').slice(0, 20), '#!/usr/bin/env node\n');
  // Run the file itself, as a shell does through npm's bin link: no `node` in front of it.
  const child = spawn(cli, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.equal(stdout.trim(), version);
});
