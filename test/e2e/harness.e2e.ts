// Checks the harness's own helpers against built-in VS Code features, so later UI tests can rely on them:
// Quick Open of a workspace file, palette commands, and locating a webview's content by extension id.
import assert from 'node:assert/strict';
import { openWorkbench } from '../vscode/e2e';

describe('End-to-end harness', () => {
  it('opens a workspace file and finds a webview by its extension id', async () => {
    const workbench = await openWorkbench();
    const editor = await workbench.openFile('draft-ecg-patch.md');
    await editor.locator('.view-line', { hasText: 'Adhesive ECG Patch' }).first().waitFor();

    // The built-in Markdown preview is a webview panel contributed by vscode.markdown-language-features.
    await workbench.runCommand('Markdown: Open Preview to the Side');
    const preview = workbench.webview('vscode.markdown-language-features');
    const heading = preview.locator('h1');
    await heading.waitFor();
    assert.equal((await heading.innerText()).trim(), 'Adhesive ECG Patch with Buffered Burst Transmission');
    assert.ok((await preview.locator('ol > li').count()) >= 6, 'the six claims render as a numbered list');
    await workbench.screenshot('harness-markdown-preview');
  });
});
