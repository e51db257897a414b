import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createIndexCommand } from '../../../src/cli/commands/index';
import { DEFAULT_MAX_BYTES, parseDocument } from '../../../src/core/documents';
import { REPO_ROOT, runCli, SHARED_DATA, temporaryFolder, WORKER_BOOTSTRAP } from './helpers';

const paths = { workerPath: WORKER_BOOTSTRAP, packageRoot: REPO_ROOT };

/**
 * A real USPTO grant made larger than the parser's own 20 MB default: blank lines between its description
 * paragraphs (whitespace the XML parser skips), so it stays a valid document with the same paragraphs.
 */
async function largeValidDocument(folder: string): Promise<string> {
  const xml = await readFile(join(SHARED_DATA, 'uspto/US08930553.xml'), 'utf8');
  const padding = `\n${' '.repeat(1023)}`.repeat(Math.ceil((DEFAULT_MAX_BYTES + (1 << 20)) / 1024));
  const padded = xml.replace('</description>', `${padding}</description>`);
  assert.notEqual(padded, xml);
  const file = join(folder, 'US08930553-padded.xml');
  await writeFile(file, padded);
  return file;
}

test('index --max-file-mb above the parser default (20 MB) indexes a larger document; a lower limit skips it', async () => {
  const dir = await temporaryFolder('pp-max-file-');
  await largeValidDocument(dir);

  const raised = await runCli(createIndexCommand(paths), [
    dir,
    '--max-file-mb',
    '30',
    '--json',
    '--cache',
    join(dir, 'raised.ppidx'),
  ]);
  assert.equal(raised.code, 0, raised.stderr);
  const summary = JSON.parse(raised.stdout) as { documents: number; paragraphs: number; message?: string };
  assert.equal(summary.message, undefined, 'no file skipped or refused');
  assert.equal(summary.documents, 1);
  const original = await parseDocument(
    await readFile(join(SHARED_DATA, 'uspto/US08930553.xml')),
    'US08930553.xml',
  );
  assert.equal(summary.paragraphs, original.paragraphs.filter((p) => p.matchText.trim()).length);

  const lowered = await runCli(createIndexCommand(paths), [
    dir,
    '--max-file-mb',
    '10',
    '--json',
    '--cache',
    join(dir, 'lowered.ppidx'),
  ]);
  assert.equal(lowered.code, 0, lowered.stderr);
  const skipped = JSON.parse(lowered.stdout) as { documents: number; message?: string };
  assert.equal(skipped.documents, 0);
  assert.match(skipped.message ?? '', /US08930553-padded\.xml/);
  assert.match(skipped.message ?? '', /over the 10(\.0)? MB limit/);
});
