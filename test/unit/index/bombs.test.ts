/**
 * Issue 10 at the level of `patent-passages index` (the CLI command, run from source with the real model):
 * a folder holding the document bombs beside a valid USPTO XML is indexed within a minute, the XML is
 * searchable, each bomb is named with its limit; and Ctrl-C stops an index run within a second, leaving a
 * cache the next run loads.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createIndexCommand } from '../../../src/cli/commands/index';
import { createSearchCommand } from '../../../src/cli/commands/search';
import { emptyParagraphsDocx, fanOutPdf, hugeImageDocx } from '../../support/bombs';
import { REPO_ROOT, runCli, WORKER_BOOTSTRAP, workspaceWith } from './helpers';

const paths = { workerPath: WORKER_BOOTSTRAP, packageRoot: REPO_ROOT };

test('a folder of bombs and a valid USPTO XML indexes within a minute; the XML is searchable, each bomb named', async (t) => {
  const dir = await workspaceWith(['uspto/US08930553.xml']);
  await writeFile(join(dir, 'fan-out.pdf'), fanOutPdf());
  await writeFile(join(dir, 'empty-paragraphs.docx'), emptyParagraphsDocx());
  await writeFile(join(dir, 'huge-image.docx'), hugeImageDocx());
  const started = performance.now();
  const indexed = await runCli(createIndexCommand(paths), [dir, '--json']);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`indexed in ${seconds.toFixed(1)} s; stderr: ${indexed.stderr.trim()}`);
  assert.equal(indexed.code, 0, indexed.stderr);
  assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
  const summary = JSON.parse(indexed.stdout) as { documents: number; message?: string };
  // The XML, and the DOCX whose 1 GiB image is never read.
  assert.equal(summary.documents, 2);
  const report = `${indexed.stderr}\n${summary.message ?? ''}`;
  assert.match(report, /fan-out\.pdf: declares 1,000,000,000 pages, more than the limit of 5,000\./);
  assert.match(
    report,
    /empty-paragraphs\.docx: has more than 200,000 paragraphs \(the limit; counted in word\/document\.xml\)\./,
  );

  const searched = await runCli(createSearchCommand(paths), [
    dir,
    '--query',
    'a vehicular display device that folds to expose a storage box',
    '--mode',
    'lexical',
    '--top',
    '3',
    '--json',
  ]);
  assert.equal(searched.code, 0, searched.stderr);
  const output = JSON.parse(searched.stdout) as { results: { file: string }[] };
  assert.ok(output.results.length > 0);
  assert.equal(output.results[0]?.file, 'uspto/US08930553.xml');
});

test('Ctrl-C stops `index` within a second and leaves a cache the next run loads', async (t) => {
  const dir = await workspaceWith(['uspto/US08926509.xml']);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test/support/bombs-cli-child.ts'), dir, '--verbose'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // Interrupted while it embeds (the SIGINT handler is installed by then).
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/Embedding \d+ paragraphs/.test(stderr)) resolve();
    });
    void exited.then(() => reject(new Error(`exited before embedding: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const interrupted = performance.now();
  child.kill('SIGINT');
  const { code, signal } = await exited;
  const ms = performance.now() - interrupted;
  t.diagnostic(`exited ${ms.toFixed(0)} ms after SIGINT (code ${code}, signal ${signal}): ${stdout.trim()}`);
  // Ended by the signal, as an interrupted program should (a shell reports 130), after saving.
  assert.equal(signal, 'SIGINT', `code ${code}: ${stderr}`);
  assert.match(stdout, /cancelled: run again to resume/);
  assert.ok(ms < 1_000, `exited ${ms.toFixed(0)} ms after SIGINT`);

  // The cache it left is whole: the next run loads it (no "damaged") and finishes the work.
  const again = await runCli(createIndexCommand(paths), [dir, '--json', '--verbose']);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /damaged|corrupt/i);
  const summary = JSON.parse(again.stdout) as { documents: number; pendingEmbeddings: number };
  assert.equal(summary.documents, 1);
  assert.equal(summary.pendingEmbeddings, 0);
});
