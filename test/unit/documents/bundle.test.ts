/**
 * The extension and the CLI run the parsers from an esbuild CommonJS bundle, where pdfjs cannot load its
 * optional native canvas package (no `import.meta.url`, no node_modules next to the bundle). This bundles
 * the documents module the way scripts/build.mjs does — with the document worker beside it
 * (out/document-worker.js), and without it (documents then read in the calling thread) — and reads the
 * PDF and DOCX fixtures with it in a child process: the text must come out, from the thread expected, and
 * nothing may be printed besides the result.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/documents');

for (const withWorker of [true, false]) {
  it(`parses PDF and DOCX from a CommonJS bundle, silently (${withWorker ? 'document worker' : 'no worker'})`, async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pp-bundle-'));
    try {
      const outfile = join(folder, 'parse.js');
      if (withWorker) {
        await esbuild.build({
          entryPoints: [join(ROOT, 'src/core/documents/document-worker.ts')],
          bundle: true,
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          outfile: join(folder, 'document-worker.js'),
          logLevel: 'silent',
        });
      }
      await esbuild.build({
        stdin: {
          contents: `
          import { readFileSync } from 'node:fs';
          import { documentThreadStats, parseDocument } from './src/core/documents/index';
          (async () => {
            for (const file of process.argv.slice(2)) {
              const document = await parseDocument(readFileSync(file), file);
              process.stdout.write(JSON.stringify({ format: document.format, claims: document.claims.length, paragraphs: document.paragraphs.length }) + '\\n');
            }
            const { inWorker, inThread } = documentThreadStats();
            process.stdout.write(JSON.stringify({ inWorker, inThread }) + '\\n');
          })();`,
          resolveDir: ROOT,
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile,
        logLevel: 'silent',
      });
      const files = ['US20050004437A1.pdf', 'US20050004437A1.docx'].map((f) => join(FIXTURES, f));
      const run = spawnSync(process.execPath, [outfile, ...files], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, '', 'no warnings from pdfjs or mammoth');
      assert.deepEqual(
        run.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
        [
          { format: 'pdf', claims: 10, paragraphs: 8 },
          { format: 'docx', claims: 10, paragraphs: 8 },
          withWorker ? { inWorker: 2, inThread: 0 } : { inWorker: 0, inThread: 2 },
        ],
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
}
