// The privacy promise, tested at two levels.
//
// System calls (strace, test/support/syscall-trace.ts): the built CLI indexes, searches, and then serves
// embeddings from one process that stays idle with the model loaded, over at least 30 s, with a fresh HOME
// and none of the variables that switch onnxruntime's telemetry off by themselves (CI sets CI=true): no
// connect or send may leave loopback, no DNS query may be sent, nothing may be created outside the
// documents' cache and the temp folder, and HOME must stay empty. The control runs onnxruntime the way the
// engine did before it switched the telemetry off, under the same watcher, and must be seen sending the
// telemetry's DNS query from onnxruntime's native threads and creating ~/.cache/Microsoft.
//
// JavaScript level: the built CLI (out/cli.js) indexes and searches real patent documents with the
// default model inside a fresh network namespace that has nothing but loopback (`unshare --net`), under a
// preload (test/support/network-recorder.cjs) that records every attempt to connect, look up a name or send a
// datagram, in the main thread and in the embedding worker thread. The run must succeed, find passages and
// record nothing. A control run in the same set-up checks that an attempt would be seen and would fail.
//
// Needs `npm run build` and `npm run build:models`, strace with permission to trace (root or ptrace allowed)
// for the first, and permission to create a network namespace (root, or unprivileged user namespaces) for
// the second; the tests are skipped with the reason otherwise.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  analyzeTrace,
  cleanEnvironment,
  listTree,
  onnxruntimeLoad,
  removeTelemetryDebugLogs,
  straceArgs,
  straceUnavailable,
} from '../support/syscall-trace';

const repoRoot = resolve(__dirname, '..', '..');
const cli = join(repoRoot, 'out', 'cli.js');
const model = join(repoRoot, 'models', 'use-lite-en', 'model.onnx');
const recorder = join(repoRoot, 'test', 'support', 'network-recorder.cjs');
const shared = process.env.PATENT_PASSAGES_SHARED ?? resolve(repoRoot, '..', 'shared', 'data');
const documents = ['US08926509.xml', 'US08930553.xml', 'US20050004437A1.xml'];

/** What both kinds of test need: the built CLI, the bundled model and the shared documents. */
function missingInput(): string | undefined {
  if (!existsSync(cli)) return `${cli} is missing: run npm run build`;
  if (!existsSync(model)) return `${model} is missing: run npm run build:models`;
  for (const name of documents) {
    if (!existsSync(join(shared, 'uspto', name))) return `shared document ${name} not found under ${shared}`;
  }
  return undefined;
}

function skipReason(): string | undefined {
  const missing = missingInput();
  if (missing) return missing;
  const probe = spawnSync('unshare', ['--net', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim();
    return `cannot create a network namespace with 'unshare --net' (${why}); run as root or allow user namespaces`;
  }
  return undefined;
}
const skip = skipReason();

const straceSkip = missingInput() ?? straceUnavailable();

const scratch = mkdtempSync(join(tmpdir(), 'patent-passages-privacy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Isolated {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The recorded attempts (one parsed JSON line each). */
  attempts: { kind: string; target: string; thread: number }[];
  /** Where the recorder was active: one entry per process and thread. */
  loaded: { pid: number; thread: number; argv1?: string }[];
}

/** The thread ids the recorder was loaded in within the CLI's process (a worker's argv has no script). */
function threadsOfCli(run: Isolated): number[] {
  const pid = run.loaded.find((entry) => entry.argv1 === cli)?.pid;
  return run.loaded.filter((entry) => entry.pid === pid).map((entry) => entry.thread);
}

let runs = 0;
/**
 * Runs `node --require network-recorder.cjs <args>` in a new network namespace whose only interface is
 * loopback (brought up), recording into a fresh log.
 */
function runIsolated(args: string[], timeoutMs = 240_000): Promise<Isolated> {
  const log = join(scratch, `network-${++runs}.jsonl`);
  const script = 'ip link set lo up 2>/dev/null || true; exec "$@"';
  return new Promise((resolvePromise) => {
    execFile(
      'unshare',
      ['--net', 'sh', '-c', script, 'sh', process.execPath, '--require', recorder, ...args],
      {
        cwd: scratch,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, PATENT_PASSAGES_NET_LOG: log, PATENT_PASSAGES_NET_ALLOW_LOOPBACK: '' },
      },
      (error, stdout, stderr) => {
        const lines = (file: string) =>
          existsSync(file)
            ? readFileSync(file, 'utf8')
                .split('\n')
                .filter((line) => line.trim() !== '')
                .map((line) => JSON.parse(line))
            : [];
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolvePromise({ code, stdout, stderr, attempts: lines(log), loaded: lines(`${log}.loaded`) });
      },
    );
  });
}

test(
  'control: inside the namespace only loopback exists, and an attempt is recorded and fails',
  { skip },
  async () => {
    const probe = `
    const { Worker } = require('node:worker_threads');
    const interfaces = Object.keys(require('node:os').networkInterfaces());
    const connect = (host) => new Promise((done) => {
      const socket = require('node:net').connect(80, host);
      socket.on('connect', () => { socket.destroy(); done('connected'); });
      socket.on('error', (e) => done(e.code));
    });
    const lookup = () => new Promise((done) => require('node:dns').lookup('example.com', (e) => done(e ? e.code : 'resolved')));
    const inWorker = () => new Promise((done) => {
      const worker = new Worker("require('node:net').connect(443, '198.51.100.7').on('error', () => process.exit(0))", { eval: true });
      worker.on('exit', () => done('worker done'));
    });
    (async () => console.log(JSON.stringify({ interfaces, connect: await connect('192.0.2.1'), lookup: await lookup(), worker: await inWorker() })))();
  `;
    const run = await runIsolated(['-e', probe], 60_000);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { interfaces: string[]; connect: string; lookup: string };
    assert.deepEqual(result.interfaces, ['lo'], 'the namespace has no interface but loopback');
    assert.notEqual(result.connect, 'connected', 'no route out of the namespace');
    assert.notEqual(result.lookup, 'resolved', 'no name resolution in the namespace');
    const targets = run.attempts.map((a) => `${a.thread === 0 ? 'main' : 'worker'} ${a.kind} ${a.target}`);
    assert.ok(targets.includes('main net.Socket.connect 192.0.2.1:80'), targets.join('\n'));
    assert.ok(targets.includes('main dns.lookup example.com'), targets.join('\n'));
    assert.ok(targets.includes('worker net.Socket.connect 198.51.100.7:443'), targets.join('\n'));
  },
);

test(
  'privacy: the CLI indexes and searches real patents with no network and never tries to connect',
  { skip, timeout: 600_000 },
  async () => {
    const folder = join(scratch, 'documents');
    mkdirSync(folder);
    for (const name of documents) copyFileSync(join(shared, 'uspto', name), join(folder, name));

    const index = await runIsolated([cli, 'index', folder, '--json']);
    assert.equal(index.code, 0, `index failed:\n${index.stderr}`);
    assert.deepEqual(index.attempts, [], 'index tried to reach the network');
    assert.ok(existsSync(join(folder, '.patent-passages', 'passages.ppidx')), 'index wrote its cache');
    // The recorder was active in the CLI's main thread and in its embedding worker thread.
    const cliThreads = threadsOfCli(index);
    assert.ok(cliThreads.includes(0), `recorder not loaded in the CLI: ${JSON.stringify(index.loaded)}`);
    assert.ok(
      cliThreads.some((thread) => thread > 0),
      `recorder not loaded in a worker thread: ${JSON.stringify(index.loaded)}`,
    );

    const claim =
      'A physiological monitoring patch comprising electrodes adhered to the skin, a processor sampling an ' +
      'electrocardiogram signal, a memory buffering the samples, and a wireless transmitter sending the ' +
      'buffered samples in bursts.';
    const search = await runIsolated([cli, 'search', folder, '--query', claim, '--top', '5', '--json']);
    assert.equal(search.code, 0, `search failed:\n${search.stderr}`);
    assert.deepEqual(search.attempts, [], 'search tried to reach the network');
    const response = JSON.parse(search.stdout) as {
      results: { score: number; file: string; text: string }[];
    };
    assert.equal(response.results.length, 5, search.stdout);
    assert.ok(
      response.results.every((hit) => hit.score > 0 && hit.text.length > 0),
      search.stdout,
    );
    assert.ok(
      response.results.some((hit) => hit.file.includes('US08926509')),
      `the ECG patch patent should be among the hits: ${search.stdout}`,
    );
    assert.ok(
      threadsOfCli(search).some((thread) => thread > 0),
      'search ran its embedding worker under the recorder',
    );
  },
);

/** The whole CLI session is watched for at least this long: onnxruntime's telemetry first looks up its host ~9.5 s after loading. */
const WINDOW_MS = 32_000;
/** The serving process alone keeps the model loaded and idle at least this long. */
const IDLE_MS = 20_000;
/** The control waits this long at most for the telemetry's DNS query. */
const CONTROL_LIMIT_MS = 40_000;

const claim =
  'A physiological monitoring patch comprising electrodes adhered to the skin, a processor sampling an ' +
  'electrocardiogram signal, a memory buffering the samples, and a wireless transmitter sending the ' +
  'buffered samples in bursts.';

interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh HOME and TMPDIR, and the environment for traced runs (telemetry-off variables removed). */
function tracedHome(name: string): { dir: string; home: string; temp: string; env: Record<string, string> } {
  const dir = join(scratch, name);
  const home = join(dir, 'home');
  const temp = join(dir, 'tmp');
  mkdirSync(home, { recursive: true });
  mkdirSync(temp, { recursive: true });
  return { dir, home, temp, env: cleanEnvironment(process.env, { HOME: home, TMPDIR: temp }) };
}

/** Runs `node <args>` under strace into `<prefix>.<tid>`; `drive` may talk to it through stdin/stdout. */
function runTraced(
  prefix: string,
  args: string[],
  env: Record<string, string>,
  drive?: (child: ReturnType<typeof spawn>, output: () => string) => Promise<void>,
  timeoutMs = 240_000,
): Promise<Traced> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('strace', straceArgs(prefix, [process.execPath, ...args]), {
      cwd: scratch,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (drive) drive(child, () => stdout).catch(reject);
    else child.stdin.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

describe('privacy at the system-call level (strace, fresh HOME, >= 30 s)', { concurrency: true }, () => {
  test(
    'the CLI indexes, searches and serves embeddings for 30 s with no network call, no DNS query and nothing written to HOME',
    { skip: straceSkip, timeout: 600_000 },
    async (t) => {
      const run = tracedHome('cli');
      const folder = join(run.dir, 'documents');
      mkdirSync(folder);
      for (const name of documents) copyFileSync(join(shared, 'uspto', name), join(folder, name));
      const started = Date.now();

      const index = await runTraced(join(run.dir, 'index'), [cli, 'index', folder, '--json'], run.env);
      assert.equal(index.code, 0, `index failed:\n${index.stderr}`);
      assert.ok(existsSync(join(folder, '.patent-passages', 'passages.ppidx')), 'index wrote its cache');

      const search = await runTraced(
        join(run.dir, 'search'),
        [cli, 'search', folder, '--query', claim, '--top', '5', '--json'],
        run.env,
      );
      assert.equal(search.code, 0, `search failed:\n${search.stderr}`);
      const hits = (JSON.parse(search.stdout) as { results: { file: string }[] }).results;
      assert.equal(hits.length, 5, search.stdout);

      // One process keeps the model loaded: a vector now, idle, a second vector at the end of the window.
      let idleMs = 0;
      const embed = await runTraced(
        join(run.dir, 'embed'),
        [cli, 'embed', '--query'],
        run.env,
        async (child, output) => {
          const vectors = () =>
            output()
              .split('\n')
              .filter((line) => line.startsWith('[')).length;
          child.stdin?.write(`${claim}\n`);
          await waitFor('the first vector', () => vectors() >= 1, 120_000);
          const loadedAt = Date.now();
          await sleep(Math.max(IDLE_MS, WINDOW_MS - (Date.now() - started)));
          idleMs = Date.now() - loadedAt;
          child.stdin?.end('An electrode patch with a wireless transmitter.\n');
        },
      );
      assert.equal(embed.code, 0, `embed failed:\n${embed.stderr}`);
      const vectors = embed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as number[]);
      assert.equal(vectors.length, 2, 'embed answered both lines');
      const windowMs = Date.now() - started;
      t.diagnostic(
        `watched ${(windowMs / 1000).toFixed(1)} s; embed idle with the model loaded ${(idleMs / 1000).toFixed(1)} s`,
      );
      assert.ok(windowMs >= 30_000, `the watched window was only ${windowMs} ms`);

      for (const name of ['index', 'search', 'embed']) {
        const findings = analyzeTrace(join(run.dir, name), {
          allowedRoots: [folder, run.temp],
          cwd: scratch,
        });
        removeTelemetryDebugLogs(findings);
        assert.ok(onnxruntimeLoad(findings), `${name}: the trace does not show the CLI loading onnxruntime`);
        assert.deepEqual(findings.network, [], `${name}: network system calls`);
        assert.deepEqual(findings.writes, [], `${name}: files created outside the cache and the temp folder`);
        assert.deepEqual(
          findings.created.filter((path) => /mat-debug-\d+\.log$/.test(path)),
          [],
          `${name}: onnxruntime's telemetry debug log was created`,
        );
      }
      assert.deepEqual(listTree(run.home), [], 'files were created in HOME');
    },
  );

  test(
    "control: the same watcher sees onnxruntime's native telemetry look up its host when the switch is not set",
    { skip: straceSkip, timeout: 120_000 },
    async (t) => {
      const run = tracedHome('control');
      const prefix = join(run.dir, 'control');
      const started = Date.now();
      let seenAfterMs = 0;
      const result = await runTraced(
        prefix,
        [
          join(repoRoot, 'test', 'support', 'onnxruntime-unswitched.cjs'),
          model,
          String(CONTROL_LIMIT_MS / 1000),
        ],
        run.env,
        async (_child, output) => {
          await waitFor('the model to load', () => output().includes('loaded'), 60_000);
          const pid = Number(/pid (\d+)/.exec(output())?.[1]);
          // The query is seen in the trace files while the process still runs.
          await waitFor(
            "onnxruntime's telemetry DNS query",
            () => analyzeTrace(prefix, { allowedRoots: [run.temp], cwd: scratch }).dnsNames.length > 0,
            CONTROL_LIMIT_MS,
          ).finally(() => {
            seenAfterMs = Date.now() - started;
            if (pid > 0) process.kill(pid, 'SIGTERM');
          });
        },
      );
      assert.ok(result.stdout.includes('loaded'), `the control did not load the model:\n${result.stderr}`);
      const findings = analyzeTrace(prefix, { allowedRoots: [run.temp], cwd: scratch });
      const debugLogs = removeTelemetryDebugLogs(findings);
      t.diagnostic(
        `telemetry DNS query seen after ${(seenAfterMs / 1000).toFixed(1)} s: ${findings.network.find((line) => line.includes('DNS query for')) ?? ''}`,
      );
      assert.ok(
        findings.dnsNames.some((name) => /(^|\.)events\.data\.microsoft\.com$/.test(name)),
        `no telemetry DNS query seen: ${JSON.stringify(findings.network, null, 1)}`,
      );
      // The query comes from onnxruntime's own threads, not the main thread that started the process.
      const main = [...findings.parents].find(([, parent]) => parent === undefined)?.[0];
      assert.ok(
        findings.network.every((line) => !line.startsWith(`thread ${main}:`)),
        'the look-up was made by a native thread',
      );
      assert.ok(
        findings.writes.some((line) => line.includes('/.cache/Microsoft/DeveloperTools/.onnxruntime')),
        `the control's device id folder was not seen: ${JSON.stringify(findings.writes, null, 1)}`,
      );
      assert.ok(listTree(run.home).includes('.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid'));
      assert.equal(
        debugLogs.length,
        1,
        `one mat-debug log was expected in the temp folder: ${debugLogs.join(', ')}`,
      );
    },
  );
});
