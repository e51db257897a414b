/**
 * "Cancel Indexing" inside the real extension host: while the index reads and embeds new prior art, the
 * command stops it within a second or two (the index hands its signal to every parse and embedding batch;
 * a batch already inside onnxruntime finishes first), and what was indexed before stays searchable.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import packageJson from '../../package.json';
import type { PatentPassagesApi } from '../../src/extension/extension';
import { waitFor } from './wait';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;
const COPIES = 6;

describe('Cancel Indexing', () => {
  let api: PatentPassagesApi;
  let scratch: vscode.Uri;

  before(async function () {
    this.timeout(240_000);
    const extension = vscode.extensions.getExtension<PatentPassagesApi>(extensionId);
    assert.ok(extension);
    api = await extension.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder open');
    scratch = vscode.Uri.joinPath(folder.uri, 'cancel-test');
    await waitFor(
      'the first index',
      () => api.status().state === 'idle' && api.status().documents > 0,
      180_000,
    );
  });

  after(async function () {
    this.timeout(240_000);
    await vscode.workspace.fs.delete(scratch, { recursive: true, useTrash: false });
    await vscode.commands.executeCommand('patentPassages.reindex');
    await waitFor(
      'the index to settle after the test',
      () => {
        const s = api.status();
        return s.state === 'idle' && !s.pendingEmbeddings;
      },
      180_000,
    );
  });

  it('stops indexing new files within seconds, and the index stays usable', async function () {
    this.timeout(240_000);
    const documentsBefore = api.status().documents;
    const source = vscode.Uri.joinPath(
      vscode.workspace.workspaceFolders![0]!.uri,
      'prior-art',
      'uspto',
      'US08926509.xml',
    );
    const bytes = await vscode.workspace.fs.readFile(source);
    const text = new TextDecoder().decode(bytes);
    for (let i = 1; i <= COPIES; i++) {
      // Each copy its own text (a changed number), so nothing is reused from the vector cache.
      const copy = text.replace(/<doc-number>(\d+)<\/doc-number>/, `<doc-number>9${i}$1</doc-number>`);
      const varied = copy.replace(/<p id="p-0001"([^>]*)>/, `<p id="p-0001"$1>Copy ${i} of the grant. `);
      await vscode.workspace.fs.writeFile(
        vscode.Uri.joinPath(scratch, `US0892650${i}-copy.xml`),
        new TextEncoder().encode(varied.replace(/(<p id="p-\d+"[^>]*>)/g, `$1[copy ${i}] `)),
      );
    }
    // The command resolves when the re-index ends: keep its promise and cancel meanwhile.
    const reindexing = vscode.commands.executeCommand('patentPassages.reindex');
    await waitFor('indexing to start', () => api.status().state === 'indexing', 60_000);
    const started = Date.now();
    await vscode.commands.executeCommand('patentPassages.cancelIndexing');
    await reindexing;
    await waitFor('indexing to stop', () => api.status().state === 'idle', 30_000);
    const stoppedMs = Date.now() - started;
    console.log(`      Cancel Indexing: idle ${stoppedMs} ms after the command`);
    assert.ok(stoppedMs < 5_000, `stopped after ${stoppedMs} ms`);
    const documentsAfter = api.status().documents;
    assert.ok(documentsAfter >= documentsBefore, 'what was indexed before is kept');
    assert.ok(
      documentsAfter < documentsBefore + COPIES,
      `stopped before all ${COPIES} new files were read (${documentsAfter - documentsBefore} were)`,
    );
  });
});
