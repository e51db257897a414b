import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import packageJson from '../../package.json';
import { waitFor } from './wait';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;

describe('Extension activation', () => {
  it('is installed and activates', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `extension ${extensionId} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command its package.json contributes', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = packageJson.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0);
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('patentPassages.showLog shows the log channel with the activation line', async () => {
    await vscode.commands.executeCommand('patentPassages.showLog');
    // Output channels are `output:` documents; the shown one is a visible editor.
    const editor = await waitFor('the log channel to be visible', () =>
      vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.scheme === 'output' && e.document.uri.path.endsWith('Patent Passages'),
      ),
    );
    assert.match(
      editor.document.getText(),
      new RegExp(`\\[info\\] Patent Passages ${packageJson.version.replaceAll('.', '\\.')} activated`),
    );
  });
});
