// Runs the end-to-end UI tests (test/e2e/**/*.e2e.ts) with mocha: one code-server and one headless
// chromium for the whole run, a fresh copy of the sample workspace, a fresh browser context per workbench.
// Screenshots go to artifacts/screenshots/ (emptied first); a failing test also leaves FAILED-*.png there.
// Ends with `N passed, N failed`; exits non-zero on any failure.
//
// Usage: node --import tsx test/vscode/run-e2e.ts [test files...]   (after `npm run build`)
//        PATENT_PASSAGES_TEST_GREP=<pattern> runs only matching tests.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';
import { launchBrowser } from './browser';
import { e2eSession, setE2eSession } from './e2e';
import { repoRoot } from './paths';
import { summaryLine } from './results';
import { startCodeServer } from './server';
import { screenshotsDir } from './workbench';
import { prepareSampleWorkspace } from './workspace';

function e2eFiles(args: string[]): string[] {
  if (args.length > 0) return args.map((file) => resolve(file));
  const dir = join(repoRoot, 'test', 'e2e');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.e2e.ts'))
    .sort()
    .map((file) => join(dir, file));
}

const rootHooks: Mocha.RootHookObject = {
  async afterEach(this: Mocha.Context) {
    const session = e2eSession();
    const failed = this.currentTest?.state === 'failed';
    for (const [i, workbench] of session.open.entries()) {
      if (failed) {
        const path = await workbench.screenshot(`FAILED-${this.currentTest?.fullTitle() ?? 'test'}-${i}`);
        console.log(`    screenshot of the failure: ${path}`);
      }
      await workbench.close();
    }
    session.open.length = 0;
  },
};

async function main(): Promise<number> {
  if (!existsSync(join(repoRoot, 'out', 'extension.js')))
    throw new Error('out/extension.js is missing: run npm run build first');
  const files = e2eFiles(process.argv.slice(2));
  rmSync(screenshotsDir, { recursive: true, force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'patent-passages-e2e-'));
  const server = await startCodeServer();
  const browser = await launchBrowser();
  try {
    setE2eSession({
      server,
      browser,
      workspace: prepareSampleWorkspace(join(scratch, 'workspace')),
      extensionPath: repoRoot,
      open: [],
    });
    const mocha = new Mocha({ ui: 'bdd', timeout: 90_000, reporter: 'spec', rootHooks });
    const grep = process.env.PATENT_PASSAGES_TEST_GREP;
    if (grep) mocha.grep(grep);
    for (const file of files) mocha.addFile(file);
    await mocha.loadFilesAsync();
    const stats = await new Promise<Mocha.Stats | undefined>((done) => {
      const runner = mocha.run(() => done(runner.stats));
    });
    const counts = { passed: stats?.passes ?? 0, failed: stats?.failures ?? 0, pending: stats?.pending ?? 0 };
    if (counts.passed + counts.failed === 0) {
      console.error('No end-to-end tests ran.');
      counts.failed = 1;
    }
    console.log(summaryLine(counts));
    return counts.failed > 0 ? 1 : 0;
  } finally {
    setE2eSession(undefined);
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`end-to-end tests: ${error instanceof Error ? error.message : String(error)}`);
    console.log(summaryLine({ passed: 0, failed: 1, pending: 0 }));
    process.exit(1);
  },
);
