/**
 * `patentPassages.indexOnStartup: auto` (the default): an ordinary code project — READMEs and docs, no patent
 * document — is not indexed on its own (no model loaded, nothing embedded) and says so; Re-index starts it.
 * (The sample workspace, which holds patents, is indexed on start: every other e2e test relies on that.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkbench } from '../vscode/e2e';

describe('Indexing on start-up', function () {
  this.timeout(240_000);

  it('waits in a workspace without patent documents, and indexes once asked', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'patent-passages-code-project-'));
    mkdirSync(join(folder, 'docs'));
    writeFileSync(
      join(folder, 'README.md'),
      '# left-pad\n\nPads strings on the left.\n\n## Usage\n\nCall it.\n',
    );
    writeFileSync(join(folder, 'docs', 'guide.md'), '# Guide\n\nInstall it with npm.\n\nThen call it.\n');
    writeFileSync(join(folder, 'notes.txt'), 'Remember to release on Friday.\n');
    const workbench = await openWorkbench(folder);
    const page = workbench.page;
    try {
      await page
        .locator('.statusbar-item', { hasText: 'Passages: not indexed' })
        .first()
        .waitFor({ timeout: 120_000 });
      await workbench.runCommand('Patent Passages: Show Log');
      await workbench.outputLine('Patent Passages', 'no patent document found');
      await workbench.screenshot('startup-not-indexed');

      // Asked to, it indexes what is there (the three files' paragraphs).
      await workbench.runCommand('Patent Passages: Re-index Workspace');
      await page
        .locator('.statusbar-item', { hasText: /Passages: 3$/ })
        .first()
        .waitFor({ timeout: 120_000 });
    } finally {
      await workbench.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
