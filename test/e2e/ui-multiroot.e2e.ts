/**
 * A multi-root workspace: the draft in one folder, the prior art in another. The index covers both roots;
 * the sidebar's scope "This claim's folder" keeps a search inside the claim's own root.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../../package.json';
import { e2eSession } from '../vscode/e2e';
import { Workbench } from '../vscode/workbench';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;

describe('Drafting UI in a multi-root workspace', function () {
  this.timeout(240_000);

  it('searches across both roots, and within the claim\'s root with scope "folder"', async () => {
    const session = e2eSession();
    const root = join(session.workspace, '..', 'multi-root');
    mkdirSync(join(root, 'draft'), { recursive: true });
    cpSync(join(session.workspace, 'draft-ecg-patch.md'), join(root, 'draft', 'draft-ecg-patch.md'));
    cpSync(join(session.workspace, 'prior-art'), join(root, 'prior-art'), { recursive: true });
    const file = join(root, 'matter.code-workspace');
    writeFileSync(file, JSON.stringify({ folders: [{ path: 'draft' }, { path: 'prior-art' }] }, null, 2));

    const remote = `vscode-remote://127.0.0.1:${session.server.port}${session.extensionPath}`;
    const query = new URLSearchParams({
      workspace: file,
      payload: JSON.stringify([['extensionDevelopmentPath', remote]]),
    });
    const workbench = await Workbench.open(session.browser, `${session.server.baseUrl}/?${query.toString()}`);
    session.open.push(workbench);
    const page = workbench.page;

    await workbench.openFile('draft-ecg-patch.md');
    await page
      .locator('.statusbar-item', { hasText: /Passages: 9$/ })
      .first()
      .waitFor({ timeout: 180_000 });
    await workbench.runCommand('Patent Passages: Focus on Similar Passages View');
    // Into claim 1 of the draft.
    await workbench.goToLine(64);
    const sidebar = workbench.webview(extensionId, { view: true });
    await sidebar.locator('body[data-claim="1"] ol.results .result').first().waitFor({ timeout: 60_000 });
    const uris = () =>
      sidebar.locator('ol.results .result').evaluateAll((r) => r.map((e) => e.getAttribute('data-uri')));
    const all = await uris();
    assert.ok(
      all.some((u) => u?.includes('/prior-art/')),
      `no passage from the prior-art root: ${all.join(', ')}`,
    );

    try {
      const searchId = await sidebar.locator('body').getAttribute('data-search-id');
      await sidebar.locator('select#scope').selectOption('folder');
      await sidebar
        .locator(`body:not([data-search-id="${searchId}"])[data-claim="1"] ol.results .result`)
        .first()
        .waitFor({ timeout: 30_000 });
      const scoped = await uris();
      assert.ok(scoped.length > 0);
      for (const uri of scoped) assert.match(uri ?? '', /\/draft\/draft-ecg-patch\.md$/);
      await workbench.screenshot('ui-multiroot-scope-folder');
    } finally {
      await sidebar.locator('select#scope').selectOption('all');
      await workbench.runCommand('View: Show Explorer');
    }
  });
});
