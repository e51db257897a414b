// The privacy promise, tested: the built CLI (out/cli.js) indexes and searches real patent documents with the
// default model inside a fresh network namespace that has nothing but loopback (`unshare --net`), under a
// preload (test/support/network-recorder.cjs) that records every attempt to connect, look up a name or send a
// datagram, in the main thread and in the embedding worker thread. The run must succeed, find passages and
// record nothing. A control run in the same set-up checks that an attempt would be seen and would fail.
//
// Needs `npm run build` and `npm run build:models`, and permission to create a network namespace (root, or
// unprivileged user namespaces); the tests are skipped with the reason otherwise.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const repoRoot = resolve(__dirname, '..', '..');
const cli = join(repoRoot, 'out', 'cli.js');
const model = join(repoRoot, 'models', 'use-lite-en', 'model.onnx');
const recorder = join(repoRoot, 'test', 'support', 'network-recorder.cjs');
const shared = process.env.PATENT_PASSAGES_SHARED ?? resolve(repoRoot, '..', 'shared', 'data');
const documents = ['US08926509.xml', 'US08930553.xml', 'US20050004437A1.xml'];

function skipReason(): string | undefined {
  if (!existsSync(cli)) return `${cli} is missing: run npm run build`;
  if (!existsSync(model)) return `${model} is missing: run npm run build:models`;
  for (const name of documents) {
    if (!existsSync(join(shared, 'uspto', name))) return `shared document ${name} not found under ${shared}`;
  }
  const probe = spawnSync('unshare', ['--net', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim();
    return `cannot create a network namespace with 'unshare --net' (${why}); run as root or allow user namespaces`;
  }
  return undefined;
}
const skip = skipReason();

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
