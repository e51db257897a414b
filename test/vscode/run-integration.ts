// Runs the integration tests (test/integration/**/*.test.ts, bundled into out/test/integration/index.js)
// inside the real extension host of code-server: the workbench loads this folder as the extension under
// development and the test bundle through the `payload` URL parameter, like @vscode/test-electron does on
// the desktop. Prints mocha's report, ends with `N passed, N failed`, exits non-zero on any failure.
//
// Privacy: code-server runs with test/support/network-recorder.cjs preloaded (NODE_OPTIONS, inherited by the
// extension host and its worker threads); any attempt of any of its Node processes to reach a non-loopback
// address or to look up a name while the suite indexes and searches fails the run, and so does a recorder
// that was not active in the extension host (the worker threads it covered are counted in the output).
// Loopback and IPC sockets (code-server's own) are not recorded.
//
// Usage: node --import tsx test/vscode/run-integration.ts   (after `npm run build`)
//        PATENT_PASSAGES_TEST_GREP=<pattern> runs only matching tests.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from './browser';
import { repoRoot } from './paths';
import { parseTestMessage, summaryLine, type TestCounts } from './results';
import { readNetworkLog, startCodeServer } from './server';
import { prepareSampleWorkspace } from './workspace';

const testBundle = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const runTimeoutMs = Number(process.env.PATENT_PASSAGES_TEST_TIMEOUT_MS ?? 300_000);

/** Reads the recorder's log after the run: a message when anything tried to reach the network, or coverage is missing. */
function checkNetworkLog(file: string): string | undefined {
  const { attempts, loaded } = readNetworkLog(file);
  const hostPids = new Set(loaded.filter((l) => l.entry?.endsWith('extensionHostProcess')).map((l) => l.pid));
  const hostWorkers = loaded.filter((l) => hostPids.has(l.pid) && l.thread > 0).length;
  if (attempts.length > 0) {
    const lines = attempts.map(
      (a) => `  ${a.kind} ${a.target} (pid ${a.pid}, thread ${a.thread}, ${a.argv1})\n${a.stack}`,
    );
    return `privacy: ${attempts.length} network attempt(s) during the run:\n${lines.join('\n')}`;
  }
  if (hostPids.size === 0) return 'privacy: the network recorder was not active in the extension host';
  console.log(
    `privacy: no network attempts (recorder active in ${new Set(loaded.map((l) => l.pid)).size} processes, ` +
      `${hostPids.size} extension host(s) with ${hostWorkers} worker thread(s))`,
  );
  return undefined;
}

/**
 * Copies a model folder's files into a new folder (fresh files, never links into models/) with the manifest
 * id replaced, so a run that loaded the copy would show that id in its modelId.
 */
function copyModelFolder(from: string, to: string, id: string): void {
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) copyModelFolder(join(from, entry.name), join(to, entry.name), id);
    else if (entry.name === 'patent-passages.json') {
      const manifest = JSON.parse(readFileSync(join(from, entry.name), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(to, entry.name), JSON.stringify({ ...manifest, id }, null, 2));
    } else writeFileSync(join(to, entry.name), readFileSync(join(from, entry.name)));
  }
}

async function main(): Promise<number> {
  if (!existsSync(testBundle)) throw new Error(`${testBundle} is missing: run npm run build first`);
  const scratch = mkdtempSync(join(tmpdir(), 'patent-passages-integration-'));
  const workspace = prepareSampleWorkspace(join(scratch, 'workspace'));
  // PATENT_PASSAGES_RESTRICTED=1: workspace trust on and the workspace not trusted (Restricted Mode), with a
  // workspace setting the extension must then ignore, and a user setting with a relative path that must not
  // be resolved inside the workspace, where a loadable model waits (test/integration/ui-restricted.test.ts).
  const restricted = process.env.PATENT_PASSAGES_RESTRICTED === '1';
  if (restricted) {
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(
      join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'patentPassages.model': './untrusted-model' }, null, 2),
    );
    copyModelFolder(
      join(repoRoot, 'models', 'use-lite-en'),
      join(workspace, 'untrusted-model'),
      'untrusted-model',
    );
  }
  const networkLog = join(scratch, 'network.jsonl');
  const server = await startCodeServer(
    restricted
      ? {
          networkLog,
          workspaceTrust: true,
          settings: {
            'patentPassages.model': 'untrusted-model',
            'security.workspace.trust.enabled': true,
            'security.workspace.trust.startupPrompt': 'never',
            'security.workspace.trust.banner': 'never',
            'security.workspace.trust.emptyWindow': false,
          },
        }
      : { networkLog },
  );
  const browser = await launchBrowser();
  let counts: TestCounts | undefined;
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      const parsed = parseTestMessage(message.text());
      if (parsed?.kind === 'out') console.log(parsed.text);
      else if (parsed?.kind === 'result') counts = parsed.counts;
    });
    // The workbench calls window.codeAutomationExit(code) when the test run ends.
    let exited: (code: number) => void = () => {};
    const exitCode = new Promise<number>((resolve) => (exited = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => exited(code));
    const remote = (path: string) => `vscode-remote://127.0.0.1:${server.port}${path}`;
    await page.goto(
      server.folderUrl(workspace, [
        ['extensionDevelopmentPath', remote(repoRoot)],
        ['extensionTestsPath', remote(testBundle)],
      ]),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the integration tests did not finish within ${runTimeoutMs / 1000} s`)),
        runTimeoutMs,
      );
    });
    const code = await Promise.race([exitCode, timedOut]).finally(() => clearTimeout(timer));
    if (!counts) {
      // The bundle never reported: it failed to load, or the extension host died.
      console.error(`The extension host ended (code ${code}) without a test report.`);
      console.error(`--- code-server log ---\n${server.logTail()}`);
      counts = { passed: 0, failed: 1, pending: 0 };
    } else if (counts.passed + counts.failed === 0) {
      console.error('No integration tests ran.');
      counts = { ...counts, failed: 1 };
    } else if (code !== 0 && counts.failed === 0) {
      console.error(`The extension host ended with code ${code} although no test failed.`);
      counts = { ...counts, failed: 1 };
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const privacyFailure = checkNetworkLog(networkLog);
  rmSync(scratch, { recursive: true, force: true });
  if (privacyFailure) {
    console.error(privacyFailure);
    counts = { ...counts, failed: counts.failed + 1 };
  }
  console.log(summaryLine(counts));
  return counts.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`integration tests: ${error instanceof Error ? error.message : String(error)}`);
    console.log(summaryLine({ passed: 0, failed: 1, pending: 0 }));
    process.exit(1);
  },
);
