/**
 * Opening a passage only opens documents of the workspace's index: results restored from a webview's saved
 * state are untrusted, so a crafted `uri` (another folder, `..`, a `command:` URI, an excluded file) is
 * refused with a warning, while a real passage of the sample workspace opens at its paragraph.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { currentConfig } from '../../src/extension/config';
import { VscodeDocumentSource } from '../../src/extension/documentSource';
import { Notifier } from '../../src/extension/notifier';
import { PassageActions } from '../../src/extension/passageActions';
import type { Logger } from '../../src/core/logger';
import type { ResultItem } from '../../src/shared/protocol';

function item(uri: string, startLine = 0): ResultItem {
  return {
    id: `${uri}#p`,
    rank: 1,
    score: 0.9,
    uri,
    fileName: uri.split('/').pop() ?? uri,
    documentLabel: 'D1',
    citationKey: 'D1',
    role: 'prior-art',
    paragraphId: 'p',
    paragraphLabel: '[0001]',
    text: 'text',
    matchedTerms: [],
    range: { startLine, startCharacter: 0, endLine: startLine, endCharacter: 10 },
  };
}

describe('Opening passages (restored panel state)', function () {
  this.timeout(60_000);
  const warnings: string[] = [];
  const logger: Logger = {
    error: () => undefined,
    warn: (m) => void warnings.push(m),
    info: () => undefined,
    debug: () => undefined,
  };
  const scope = new VscodeDocumentSource(() => currentConfig());
  const actions = new PassageActions(logger, new Notifier(logger, () => undefined), (uri) =>
    scope.inScope(uri),
  );
  after(() => actions.dispose());

  it('refuses URIs that are not documents of the workspace, opening nothing', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const crafted = [
      '/etc/hostname',
      'file:///etc/hostname',
      `${folder.toString()}/../network.jsonl`,
      `${folder.fsPath}/prior-art/../../network.jsonl`,
      'command:workbench.action.closeWindow',
      'untitled:Untitled-1',
      'https://example.com/patent.xml',
      `${folder.toString()}/.vscode/settings.json`, // excluded by patentPassages.exclude
      'not a uri at all: %%%',
    ];
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const uri of crafted) {
      warnings.length = 0;
      assert.equal(await actions.open(item(uri)), undefined, uri);
      assert.match(warnings.join('\n'), /is not a document of this workspace's index/, uri);
    }
    // The Output panel (the log another suite showed) is a text editor too, in a panel, not a document.
    assert.deepEqual(
      vscode.window.visibleTextEditors
        .map((e) => e.document.uri)
        .filter((uri) => uri.scheme !== 'output')
        .map((uri) => uri.toString()),
      [],
      'no editor was opened',
    );
  });

  it('opens a document of the workspace at the paragraph', async () => {
    const [xml] = await vscode.workspace.findFiles('prior-art/**/US08926509.xml');
    assert.ok(xml, 'the sample workspace has US08926509.xml');
    warnings.length = 0;
    const editor = await actions.open(item(xml.toString(), 40));
    assert.ok(editor);
    assert.equal(editor.document.uri.toString(), xml.toString());
    assert.equal(editor.selection.active.line, 40);
    assert.deepEqual(warnings, []);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
