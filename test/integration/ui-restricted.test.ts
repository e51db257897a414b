/**
 * Restricted Mode: runs only when the workspace is not trusted, i.e. under
 * `PATENT_PASSAGES_RESTRICTED=1 node --import tsx test/vscode/run-integration.ts`, which opens the sample
 * workspace untrusted with `.vscode/settings.json` setting `patentPassages.model` to a folder of the
 * workspace, and the user settings setting it to the relative path `untrusted-model`, where the workspace
 * holds a loadable model (a copy of the bundled one with the id `untrusted-model`). The extension must
 * activate, use neither and index with its bundled model.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import packageJson from '../../package.json';
import type { PatentPassagesApi } from '../../src/extension/extension';
import { currentConfig } from '../../src/extension/config';
import { waitFor } from './wait';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;

describe('Restricted Mode', function () {
  this.timeout(120_000);

  before(function () {
    if (vscode.workspace.isTrusted) this.skip();
  });

  it('activates in an untrusted workspace', async () => {
    const extension = vscode.extensions.getExtension<PatentPassagesApi>(extensionId);
    assert.ok(extension);
    await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('does not use the model folder set by the workspace', async () => {
    // The workspace does set it (the test runner wrote .vscode/settings.json)…
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const settings = await vscode.workspace.fs.readFile(
      vscode.Uri.joinPath(folder, '.vscode', 'settings.json'),
    );
    assert.equal(
      JSON.parse(Buffer.from(settings).toString('utf8'))['patentPassages.model'],
      './untrusted-model',
    );
    // …but VS Code withholds it in Restricted Mode (restrictedConfigurations), and the reader ignores it too.
    const section = vscode.workspace.getConfiguration('patentPassages');
    assert.notEqual(section.get('model'), './untrusted-model');
    assert.equal(section.inspect<string>('model')?.workspaceValue, undefined);
    // What is left is the user's own value: here a relative path.
    assert.equal(section.inspect<string>('model')?.globalValue, 'untrusted-model');
    assert.equal(currentConfig().model, 'untrusted-model');
  });

  it("does not resolve the user's relative model path inside the untrusted workspace", async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    // The workspace does hold a loadable model there…
    const manifest = await vscode.workspace.fs.readFile(
      vscode.Uri.joinPath(folder, 'untrusted-model', 'patent-passages.json'),
    );
    assert.equal(JSON.parse(Buffer.from(manifest).toString('utf8')).id, 'untrusted-model');
    // …but the engine runs the bundled one.
    const api = vscode.extensions.getExtension<PatentPassagesApi>(extensionId)!.exports;
    const status = await waitFor(
      'the model to load',
      () => (api.status().modelId.includes('@') ? api.status() : undefined),
      90_000,
    );
    assert.match(status.modelId, /^use-lite-en@/);
  });

  it('indexes and searches with the bundled model', async () => {
    const api = vscode.extensions.getExtension<PatentPassagesApi>(extensionId)!.exports;
    const status = await waitFor(
      'the index to finish',
      () => (api.status().state === 'idle' && api.status().documents > 0 ? api.status() : undefined),
      90_000,
    );
    assert.doesNotMatch(status.modelId, /untrusted/);
    assert.ok(status.paragraphs > 0);
  });
});
