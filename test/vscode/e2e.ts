// What end-to-end tests (test/e2e/*.e2e.ts) use: run-e2e.ts starts one code-server and one browser per run
// and opens the sample workspace; a test asks for a workbench tab and drives it.
//
//   import { openWorkbench } from '../vscode/e2e';
//   it('…', async () => {
//     const workbench = await openWorkbench();
//     await workbench.runCommand('Patent Passages: Show Log');
//     await workbench.screenshot('show-log');
//   });
import type { Browser } from 'playwright-core';
import type { CodeServer } from './server';
import { Workbench } from './workbench';

export interface E2eSession {
  server: CodeServer;
  browser: Browser;
  /** The sample workspace folder of this run (a fresh copy). */
  workspace: string;
  /** The extension's folder, loaded as the extension under development. */
  extensionPath: string;
  /** Workbenches opened by the current test; the runner closes them after it. */
  open: Workbench[];
}

// On globalThis rather than in a module variable: the runner and the test files may get separate
// instances of this module (tests are loaded through the ESM loader).
const sessionKey = Symbol.for('patent-passages.e2e-session');
type WithSession = { [sessionKey]?: E2eSession };

export function setE2eSession(session: E2eSession | undefined): void {
  (globalThis as WithSession)[sessionKey] = session;
}

export function e2eSession(): E2eSession {
  const session = (globalThis as WithSession)[sessionKey];
  if (!session) throw new Error('No end-to-end session: run these tests through test/vscode/run-e2e.ts');
  return session;
}

/** Opens the sample workspace (or `folder`) with the extension loaded, in a fresh browser context. */
export async function openWorkbench(folder?: string): Promise<Workbench> {
  const session = e2eSession();
  const remote = `vscode-remote://127.0.0.1:${session.server.port}${session.extensionPath}`;
  const url = session.server.folderUrl(folder ?? session.workspace, [['extensionDevelopmentPath', remote]]);
  const workbench = await Workbench.open(session.browser, url);
  session.open.push(workbench);
  return workbench;
}
