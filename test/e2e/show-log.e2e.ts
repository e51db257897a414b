import assert from 'node:assert/strict';
import packageJson from '../../package.json';
import { openWorkbench } from '../vscode/e2e';

describe('Patent Passages: Show Log', () => {
  it('opens the Output view on the extension log with its activation line', async () => {
    const workbench = await openWorkbench();
    await workbench.openFile('draft-ecg-patch.md');
    await workbench.runCommand('Patent Passages: Show Log');

    const activation = `Patent Passages ${packageJson.version} activated`;
    const line = await workbench.outputLine('Patent Passages', activation);
    // The editor renders spaces as no-break spaces; compare words.
    const text = (await line.innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`^\\S+ \\S+ \\[info\\] ${activation.replaceAll('.', '\\.')}$`));
    await workbench.screenshot('show-log');
  });
});
