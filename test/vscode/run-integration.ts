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
// System calls: code-server also runs under strace (test/support/syscall-trace.ts), which follows every
// process and thread it starts, native ones included (onnxruntime's telemetry threads look up their host
// ~9.5 s after the model loads). test/integration/privacy-idle.test.ts keeps the extension host idle for
// 20 s once the model is loaded (the extension host ends with the suite, so the idle time is spent in
// it). The run fails on any connect/send off loopback or DNS query by any of code-server's processes (each
// labelled extension host or not), on onnxruntime's telemetry files
// (~/.cache/Microsoft/DeveloperTools/.onnxruntime, mat-debug-<pid>.log), when strace did not see an
// extension host load onnxruntime, and, in the full run, when that extension host lived less than
// PRIVACY_WINDOW_MS after loading it. Skipped with the reason where strace cannot trace;
// PATENT_PASSAGES_SYSCALL_TRACE=0 skips it.
//
// Usage: node --import tsx test/vscode/run-integration.ts   (after `npm run build`)
//        PATENT_PASSAGES_TEST_GREP=<pattern> runs only matching tests.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from './browser';
import { repoRoot } from './paths';
import { parseTestMessage, summaryLine, type TestCounts } from './results';
import {
  analyzeTrace,
  descendsFrom,
  onnxruntimeLoad,
  removeTelemetryDebugLogs,
  straceUnavailable,
} from '../support/syscall-trace';
import { readNetworkLog, startCodeServer } from './server';
import { prepareSampleWorkspace } from './workspace';

const testBundle = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const runTimeoutMs = Number(process.env.PATENT_PASSAGES_TEST_TIMEOUT_MS ?? 300_000);
/** How long an extension host must live after loading onnxruntime, in the full run (privacy-idle.test.ts). */
const PRIVACY_WINDOW_MS = 30_000;

/** The extension host processes the network recorder was active in (their pids). */
function extensionHostPids(networkLog: string): number[] {
  const { loaded } = readNetworkLog(networkLog);
  return [...new Set(loaded.filter((l) => l.entry?.endsWith('extensionHostProcess')).map((l) => l.pid))];
}

/**
 * Reads code-server's system-call trace after the run: a message for each network call off loopback,
 * DNS query or onnxruntime telemetry file, or when the extension host was not seen loading the model.
 */
function checkSyscallTrace(
  prefix: string,
  hostPids: number[],
  allowedRoots: string[],
  /** Whether this run's tests load the model (a grep for other tests may not), and for how long at least. */
  expect: { load: boolean; windowMs: number },
): string | undefined {
  const findings = analyzeTrace(prefix, { allowedRoots, cwd: repoRoot });
  const telemetryLogs = removeTelemetryDebugLogs(findings);
  const inHost = (tid: number) => hostPids.some((pid) => descendsFrom(findings, tid, pid));
  const problems = findings.network.map((line) => {
    const tid = Number(/^thread (\d+):/.exec(line)?.[1]);
    return `  [${inHost(tid) ? 'extension host' : 'code-server'}] ${line}`;
  });
  // (VS Code itself keeps a device id in ~/.cache/Microsoft/DeveloperTools/deviceid: not onnxruntime's.)
  for (const path of new Set(findings.created.filter((p) => p.includes('/.onnxruntime'))))
    problems.push(`  onnxruntime telemetry folder or file created: ${path}`);
  for (const path of telemetryLogs) problems.push(`  onnxruntime telemetry log created (removed): ${path}`);
  for (const line of findings.writes) problems.push(`  file created outside the scratch folders: ${line}`);
  // Coverage: an extension host loaded onnxruntime's native library under the tracer, and lived on.
  const hostLines = findings.lines.filter((l) => inHost(l.tid));
  const loaded = onnxruntimeLoad(findings, inHost);
  const lastMs = (hostLines.at(-1)?.time ?? 0) * 1000;
  const livedMs = loaded ? lastMs - loaded.time * 1000 : 0;
  if (!loaded && expect.load)
    problems.push(
      `  strace did not see an extension host (pids ${hostPids.join(', ') || 'none'}) load onnxruntime`,
    );
  else if (loaded && livedMs < expect.windowMs)
    problems.push(
      `  the extension host lived only ${(livedMs / 1000).toFixed(1)} s after loading onnxruntime`,
    );
  if (problems.length > 0)
    return `privacy (system calls): ${problems.length} problem(s):\n${problems.join('\n')}`;
  console.log(
    `privacy (system calls): no network call, DNS query or telemetry file in ${findings.parents.size} ` +
      `traced processes/threads; ` +
      (loaded
        ? `the extension host lived ${(livedMs / 1000).toFixed(1)} s after loading onnxruntime`
        : 'onnxruntime was not loaded by these tests'),
  );
  return undefined;
}

/** Reads the recorder's log after the run: a message when anything tried to reach the network, or coverage is missing. */
function checkNetworkLog(file: string): string | undefined {
  const { attempts, loaded } = readNetworkLog(file);
  const hostPids = new Set(extensionHostPids(file));
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
  const traceSkip =
    process.env.PATENT_PASSAGES_SYSCALL_TRACE === '0'
      ? 'PATENT_PASSAGES_SYSCALL_TRACE=0'
      : straceUnavailable();
  const syscallTrace = traceSkip ? undefined : join(scratch, 'trace', 'code-server');
  if (syscallTrace) mkdirSync(join(scratch, 'trace'));
  else console.log(`privacy (system calls): skipped: ${traceSkip}`);
  const server = await startCodeServer(
    restricted
      ? {
          networkLog,
          syscallTrace,
          workspaceTrust: true,
          settings: {
            'patentPassages.model': 'untrusted-model',
            'security.workspace.trust.enabled': true,
            'security.workspace.trust.startupPrompt': 'never',
            'security.workspace.trust.banner': 'never',
            'security.workspace.trust.emptyWindow': false,
          },
        }
      : { networkLog, syscallTrace },
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
  const syscallFailure = syscallTrace
    ? checkSyscallTrace(
        syscallTrace,
        extensionHostPids(networkLog),
        [scratch, server.dir, tmpdir()],
        // The idle test runs only in the full suite; the Restricted Mode rerun indexes too.
        {
          load: restricted || !process.env.PATENT_PASSAGES_TEST_GREP,
          windowMs: restricted || process.env.PATENT_PASSAGES_TEST_GREP ? 0 : PRIVACY_WINDOW_MS,
        },
      )
    : undefined;
  if (syscallFailure && syscallTrace) {
    // Keep the trace for a look at what happened around each finding.
    const kept = mkdtempSync(join(tmpdir(), 'patent-passages-trace-'));
    renameSync(join(scratch, 'trace'), join(kept, 'trace'));
    console.error(`the system-call trace is kept in ${kept}/trace (one file per thread)`);
  }
  rmSync(scratch, { recursive: true, force: true });
  for (const failure of [privacyFailure, syscallFailure]) {
    if (!failure) continue;
    console.error(failure);
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
