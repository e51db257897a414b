/**
 * A problem the user must know about is shown once, in words, with a "Show log" button that opens the
 * log; never a stack trace. Here: `patentPassages.model` pointing at a folder that is not a model. The
 * extension falls back to the bundled model and keeps working.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../../package.json';
import { e2eSession, openWorkbench } from '../vscode/e2e';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;

describe('Drafting UI: errors', function () {
  this.timeout(240_000);

  it('a bad model folder: one warning with "Show log", the bundled model is used instead', async () => {
    const session = e2eSession();
    // The workspace's settings (VS Code watches the file): the sample workspace has none.
    const settingsDir = join(session.workspace, '.vscode');
    const settingsPath = join(settingsDir, 'settings.json');
    const workbench = await openWorkbench();
    const page = workbench.page;
    try {
      await workbench.openFile('draft-ecg-patch.md');
      await page
        .locator('.statusbar-item', { hasText: /Passages: 9$/ })
        .first()
        .waitFor({ timeout: 180_000 });
      // The user points the model setting at a folder that holds no model (VS Code picks up the change).
      mkdirSync(settingsDir, { recursive: true });
      writeFileSync(settingsPath, JSON.stringify({ 'patentPassages.model': './prior-art' }, null, 2));

      const toast = workbench.notifications().filter({ hasText: 'cannot be used' });
      await toast.first().waitFor({ timeout: 60_000 });
      const text = await toast.first().innerText();
      assert.match(
        text,
        /The model folder ".*prior-art" cannot be used \(.+\)\. Using the bundled model use-lite-en instead\./,
      );
      assert.doesNotMatch(text, /\n\s+at |Error:|\.ts:\d+/, `stack trace in the message: ${text}`);
      await page.waitForTimeout(700); // the toast slides in
      await workbench.screenshot('ui-error-model-folder');

      // The index comes back with the bundled model; a re-index does not repeat the warning.
      await page
        .locator('.statusbar-item', { hasText: /Passages: 9$/ })
        .first()
        .waitFor({ timeout: 180_000 });
      await workbench.runCommand('Patent Passages: Re-index Workspace');
      await page
        .locator('.statusbar-item', { hasText: /Passages: 9$/ })
        .first()
        .waitFor({ timeout: 180_000 });
      assert.equal(await workbench.notifications().filter({ hasText: 'cannot be used' }).count(), 1);

      // "Show log" opens the log, which has the details.
      const item = page.locator('.notifications-toasts .notification-list-item', {
        hasText: 'cannot be used',
      });
      await item.locator('.monaco-button', { hasText: 'Show log' }).click();
      // Long log lines wrap; the start of this one ("… [warning] The model folder") is on its first row.
      const line = await workbench.outputLine('Patent Passages', 'The model folder');
      assert.match(await line.innerText(), /\[warning\]\s+The\s+model\s+folder/); // Monaco renders spaces as U+00A0

      // Searching still works, with the bundled model.
      await workbench.runCommand('Patent Passages: Focus on Similar Passages View');
      const sidebar = workbench.webview(extensionId, { view: true });
      await sidebar.locator('.status-detail', { hasText: 'model use-lite-en' }).waitFor({ timeout: 30_000 });
    } finally {
      rmSync(settingsDir, { recursive: true, force: true });
      await workbench.runCommand('View: Show Explorer').catch(() => undefined);
    }
  });
});
