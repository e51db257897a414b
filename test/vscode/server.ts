import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnvironment, straceArgs } from '../support/syscall-trace';
import { codeServerBin, repoRoot, requireSetUp } from './paths';

export interface CodeServerOptions {
  /** Port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Extra user settings merged over the defaults below. */
  settings?: Record<string, unknown>;
  /** Extensions folder (`--extensions-dir`); a fresh empty one when omitted. */
  extensionsDir?: string;
  /** Keep the server's scratch folder (logs, user data) after stop(), e.g. to debug a failure. */
  keep?: boolean;
  /** Use this folder (created if missing, kept after stop) instead of a fresh scratch folder. */
  dir?: string;
  /**
   * Keep workspace trust on (no `--disable-workspace-trust`): workspaces open in Restricted Mode unless
   * trusted. For tests of the extension's Restricted Mode behaviour.
   */
  workspaceTrust?: boolean;
  /**
   * Record network attempts of code-server's Node processes (server, extension hosts, their worker threads)
   * into this file: test/support/network-recorder.cjs is preloaded through NODE_OPTIONS, loopback and IPC
   * left out (code-server's own sockets). See readNetworkLog().
   */
  networkLog?: string;
  /**
   * Run code-server under strace (test/support/syscall-trace.ts), following every process and thread it
   * starts (extension hosts and their worker threads included), writing `<prefix>.<tid>` files. The
   * caller checks strace is usable first (`straceUnavailable()`) and reads the files after stop().
   */
  syscallTrace?: string;
}

export interface CodeServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** The server's scratch folder: user data, extensions, its log in `server.log`. */
  readonly dir: string;
  /** The workbench URL that opens `folder` (an absolute path on this machine). */
  folderUrl(folder: string, payload?: [string, string][]): string;
  /** Settles when the server process ends (its exit code, null after a signal). */
  readonly exited: Promise<number | null>;
  /** The last lines of the server's log, for error messages. */
  logTail(lines?: number): string;
  /** Ends the server with SIGTERM (SIGKILL if it lingers) and removes its scratch folder. */
  stop(): Promise<void>;
  /** code-server's own process id (under strace, the traced process rather than strace). */
  readonly pid: number | undefined;
}

/** The connect-recording preload for `networkLog` (plain CommonJS: loaded by code-server's own Node). */
export const networkRecorder = join(repoRoot, 'test', 'support', 'network-recorder.cjs');

/**
 * What code-server's Node processes would otherwise reach on the network by themselves, switched off (each
 * read in code-server 4.100.3's shipped files, see docs/notes/issue-2.md): `EXTENSIONS_GALLERY` replaces
 * product.json's gallery (open-vsx.org by default, queried at start); without a `serviceUrl` the gallery
 * counts as disabled (`isEnabled()` is `!!extensionsGallery?.serviceUrl`), in the server and the workbench.
 */
const offlineEnv = { EXTENSIONS_GALLERY: '{}' };

const defaultSettings = {
  // The welcome page steals focus and closes the command palette.
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  // No outgoing connections of VS Code's own (code-server also gets --disable-telemetry and
  // --disable-update-check, and no extension gallery through offlineEnv).
  'telemetry.telemetryLevel': 'off',
  'telemetry.feedback.enabled': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'npm.fetchOnlinePackageInfo': false,
  'json.schemaDownload.enable': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'git.autofetch': false,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  // Sample workspaces live inside this checkout: no prompt about the repository above them.
  'git.openRepositoryInParentFolders': 'never',
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHealthy(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`code-server exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${baseUrl}/healthz within ${timeoutMs / 1000} s`);
}

/**
 * Starts code-server (VS Code 1.100 with a real Node 20 extension host) on 127.0.0.1 in a fresh scratch
 * folder: no auth, telemetry, update checks or workspace trust prompt. One server per test run; a
 * long-lived server accumulates extension hosts.
 */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  requireSetUp();
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'patent-passages-vscode-'));
  const keep = options.keep === true || options.dir !== undefined;
  const userData = join(dir, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(dir, 'extensions');
  for (const sub of ['config', 'data', 'home', 'tmp', join('user-data', 'User'), 'extensions']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  const settingsPath = join(userData, 'User', 'settings.json');
  // A kept folder (options.dir) keeps the user's own settings from earlier runs.
  if (!existsSync(settingsPath)) {
    writeFileSync(settingsPath, JSON.stringify({ ...defaultSettings, ...options.settings }, null, 2));
  }

  const logPath = join(dir, 'server.log');
  const log = createWriteStream(logPath);
  const serverArgs = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
  ];
  const child = spawn(
    options.syscallTrace ? 'strace' : codeServerBin,
    options.syscallTrace ? straceArgs(options.syscallTrace, [codeServerBin, ...serverArgs]) : serverArgs,
    {
      // Everything code-server and its extension hosts write stays inside the scratch folder.
      // Traced, without the variables that switch onnxruntime's telemetry off by themselves (CI=true in
      // CI): the run must prove the extension's own switch.
      env: {
        ...(options.syscallTrace ? cleanEnvironment(process.env, {}) : process.env),
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_DATA_HOME: join(dir, 'data'),
        HOME: join(dir, 'home'),
        TMPDIR: join(dir, 'tmp'),
        ...offlineEnv,
        ...(options.networkLog
          ? {
              NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${networkRecorder}`]
                .filter(Boolean)
                .join(' '),
              PATENT_PASSAGES_NET_LOG: options.networkLog,
              PATENT_PASSAGES_NET_ALLOW_LOOPBACK: '1',
            }
          : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  // Under strace, signals go to the traced code-server: a killed strace would leave it running.
  let knownPid: number | undefined;
  const serverPid = () => (knownPid ??= options.syscallTrace ? childOf(child.pid) : child.pid);
  const signal = (name: NodeJS.Signals) => {
    const pid = serverPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone.
      }
    }
    if (options.syscallTrace && name === 'SIGKILL') child.kill('SIGKILL');
  };
  // Never leave a server behind when the test process ends without calling stop().
  const killOnExit = () => signal('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );

  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      signal('SIGTERM');
      const killer = setTimeout(() => signal('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    log.end();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForHealthy(baseUrl, child, 30_000);
  } catch (error) {
    const tail = logTail();
    await stop();
    throw new Error(`${(error as Error).message}\n--- code-server log ---\n${tail}`);
  }

  const pid = serverPid();
  return {
    port,
    baseUrl,
    dir,
    exited,
    pid,
    folderUrl(folder, payload) {
      const query = new URLSearchParams({ folder });
      if (payload) query.set('payload', JSON.stringify(payload));
      return `${baseUrl}/?${query.toString()}`;
    },
    logTail,
    stop,
  };
}

/** The (first) child process of `pid`, from /proc (Linux). */
function childOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

export interface NetworkAttempt {
  kind: string;
  target: string;
  pid: number;
  thread: number;
  argv1?: string;
  stack: string;
}

/** The attempts recorded in a `networkLog` file (none when it does not exist), and where the recorder ran. */
export function readNetworkLog(file: string): {
  attempts: NetworkAttempt[];
  loaded: { pid: number; thread: number; argv1?: string; entry?: string }[];
} {
  const lines = (path: string) =>
    existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line))
      : [];
  return { attempts: lines(file), loaded: lines(`${file}.loaded`) };
}
