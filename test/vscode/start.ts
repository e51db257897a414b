// `npm start` (scripts/start.sh): code-server on 127.0.0.1 with this folder installed as an extension and
// the sample workspace of real patent documents open. Runs until Ctrl-C. State that should outlive a run
// (VS Code's user data, the sample workspace with the user's edits) stays in .vscode-test/.
//
//   --check   the same start in scratch folders on a free port: open the URL in headless chromium, run
//             "Patent Passages: Show Log", wait for the activation line, save artifacts/screenshots/start.png,
//             stop; exit 1 on failure. npm test runs it; it never touches a running `npm start`.
//
// Environment: PORT (default 8080; with --check a free port unless PORT is set).
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packageJson from '../../package.json';
import { launchBrowser } from './browser';
import { repoRoot } from './paths';
import { startCodeServer, type CodeServer } from './server';
import { Workbench } from './workbench';
import { prepareSampleWorkspace } from './workspace';

function port(fallback: number | undefined): number | undefined {
  if (process.env.PORT === undefined) return fallback;
  const value = Number(process.env.PORT);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`PORT must be a port number (1–65535), not '${process.env.PORT}'`);
  }
  return value;
}

/**
 * An extensions folder holding only this checkout, linked: code-server loads it like an installed
 * extension (a rebuild shows after "Developer: Reload Window"). Recreated on every start, so a version
 * change never leaves a stale entry behind.
 */
function linkedExtensionsDir(stateDir: string): string {
  const dir = join(stateDir, 'extensions');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(repoRoot, join(dir, `${packageJson.publisher}.${packageJson.name}-${packageJson.version}`));
  return dir;
}

async function check(server: CodeServer, url: string): Promise<void> {
  const browser = await launchBrowser();
  let workbench: Workbench | undefined;
  try {
    workbench = await Workbench.open(browser, url);
    await workbench.runCommand('Patent Passages: Show Log');
    await workbench.outputLine('Patent Passages', `Patent Passages ${packageJson.version} activated`);
    console.log(`check: the extension is active; screenshot ${await workbench.screenshot('start')}`);
  } catch (error) {
    const screenshot = workbench ? `\nscreenshot: ${await workbench.screenshot('FAILED-start')}` : '';
    throw new Error(
      `check failed: ${(error as Error).message}${screenshot}\n--- code-server log ---\n${server.logTail()}`,
    );
  } finally {
    await browser.close();
  }
}

async function runCheck(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'patent-passages-start-check-'));
  try {
    const stateDir = join(scratch, 'state');
    const workspace = prepareSampleWorkspace(join(scratch, 'sample-workspace'));
    const server = await startCodeServer({
      port: port(undefined),
      dir: stateDir,
      extensionsDir: linkedExtensionsDir(stateDir),
    });
    try {
      await check(server, server.folderUrl(workspace));
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function serve(): Promise<void> {
  const stateDir = join(repoRoot, '.vscode-test', 'start');
  const workspace = join(repoRoot, '.vscode-test', 'sample-workspace');
  if (existsSync(workspace)) {
    console.log(`Using the sample workspace in ${workspace} (delete it to start afresh)`);
  } else {
    prepareSampleWorkspace(workspace);
    console.log(`Prepared the sample workspace in ${workspace}`);
  }
  const server = await startCodeServer({
    port: port(8080),
    dir: stateDir,
    extensionsDir: linkedExtensionsDir(stateDir),
  });
  console.log(
    `\nPatent Passages is running in VS Code (code-server) at\n\n  ${server.folderUrl(workspace)}\n\n` +
      'Open draft-ecg-patch.md and put the cursor in a claim. Press Ctrl-C to stop.',
  );
  let stopping = false;
  const stop = () => {
    stopping = true;
    console.log('\nStopping code-server…');
    void server.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await server.exited;
  if (!stopping) throw new Error(`code-server stopped unexpectedly (exit code ${code})\n${server.logTail()}`);
  await server.stop();
}

async function main(): Promise<void> {
  if (!existsSync(join(repoRoot, 'out', 'extension.js'))) {
    throw new Error('out/extension.js is missing: run npm run build');
  }
  await (process.argv.includes('--check') ? runCheck() : serve());
}

main().catch((error: unknown) => {
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
