import assert from 'node:assert/strict';
import packageJson from '../../package.json';
import { openWorkbench } from '../vscode/e2e';

describe('Patent Passages: Show Log', () => {
  it('opens the Output view on the extension log with its activation line', async () => {
    const workbench = await openWorkbench();
    await workbench.openFile('draft-ecg-patch.md');
    await workbench.runCommand('Patent Passages: Show Log');

    const output = workbench.outputView('Patent Passages');
    const activation = `Patent Passages ${packageJson.version} activated`;
    await output.locator('.view-line', { hasText: activation }).waitFor();
    // The editor renders spaces as no-break spaces; compare words.
    const text = (await output.locator('.view-lines').innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`\\[info\\] ${activation.replaceAll('.', '\\.')}`));
    await workbench.screenshot('show-log');
  });
});
