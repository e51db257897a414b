// System-call-level privacy checks: runs a command under strace (following every thread and child process)
// and reads back what it did on the network and where it created files. Unlike the JavaScript-level
// recorder (network-recorder.cjs) this sees native code too, e.g. onnxruntime's own telemetry threads,
// which send their DNS queries ~9.5 s after the first session loads (see src/core/embedding/telemetry.ts).
//
// A finding is: a connect/sendto/sendmsg to an IPv4/IPv6 address off loopback, anything to port 53 (a DNS
// query, wherever it goes; the name asked for is decoded), a successful connect to a name-service daemon
// (nscd, systemd-resolved: it could ask DNS on the caller's behalf), or a file or folder created outside
// the allowed folders.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** The system calls traced: network sends and connects, file creation, and process/thread creation. */
const TRACED = [
  'socket',
  'connect',
  'sendto',
  'sendmsg',
  'sendmmsg',
  'open',
  'openat',
  'creat',
  'mkdir',
  'mkdirat',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'clone',
  'clone3',
  'fork',
  'vfork',
].join(',');

/**
 * Why strace cannot be used here (not installed, or ptrace not permitted, e.g. in a container without
 * CAP_SYS_PTRACE), or undefined when it can.
 */
export function straceUnavailable(): string | undefined {
  const probe = spawnSync(
    'strace',
    ['-f', '--seccomp-bpf', '-e', 'trace=connect', '-o', '/dev/null', 'true'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (probe.error) return `strace cannot be run (${probe.error.message}); install the Debian package strace`;
  if (probe.status !== 0)
    return `strace is not permitted here (${probe.stderr.trim().split('\n')[0]}); run as root or allow ptrace`;
  return undefined;
}

/**
 * The strace command line that runs `command` and writes one trace file per thread, `<prefix>.<tid>`:
 * -f follows threads and forks, --seccomp-bpf stops the process only on the traced calls (cheap), -y
 * prints the path behind each file descriptor, -ttt the time, -s 96 enough of a DNS packet for its name.
 */
export function straceArgs(prefix: string, command: string[]): string[] {
  return [
    '-f',
    '-ff',
    '--seccomp-bpf',
    '-y',
    '-ttt',
    '-s',
    '96',
    '-e',
    `trace=${TRACED}`,
    '-o',
    prefix,
    '--',
    ...command,
  ];
}

/** Environment variables that make onnxruntime keep its telemetry off by themselves (it reads them). */
export const TELEMETRY_OFF_ENVIRONMENT = [
  'ORT_DISABLE_TELEMETRY',
  'ORT_RUNNING_UNIT_TESTS',
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
  'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI',
];

/**
 * The environment for a traced run: the given one without the variables that would switch onnxruntime's
 * telemetry off on their own (CI sets CI=true), so a pass proves the project's own switch, plus `extra`.
 * XDG_CACHE_HOME is dropped too: onnxruntime keeps its device id there instead of in HOME.
 */
export function cleanEnvironment(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || TELEMETRY_OFF_ENVIRONMENT.includes(name) || name === 'XDG_CACHE_HOME')
      continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface TraceLine {
  tid: number;
  time: number;
  text: string;
}

export interface TraceFindings {
  /** Network findings, one readable line each: `<tid> <what>: <strace line>`. */
  network: string[];
  /** DNS names asked for (decoded from the query packets). */
  dnsNames: string[];
  /** Files and folders created outside the allowed folders. */
  writes: string[];
  /** Every file and folder created, allowed or not (absolute paths). */
  created: string[];
  /** Thread ids seen, with the thread or process that created each (undefined: the first). */
  parents: Map<number, number | undefined>;
  /** Thread ids that are threads of another (created with CLONE_THREAD), mapped to their creator. */
  threads: Set<number>;
  /** All lines, by thread. */
  lines: TraceLine[];
}

/** The trace files `<prefix>.<tid>` of a run. */
export function traceFiles(prefix: string): string[] {
  const dir = dirname(prefix);
  const name = basename(prefix);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.startsWith(`${name}.`) && /^\d+$/.test(file.slice(name.length + 1)))
    .map((file) => join(dir, file));
}

/** Reads all `<prefix>.<tid>` files written by `straceArgs`. */
export function readTrace(prefix: string): TraceLine[] {
  const lines: TraceLine[] = [];
  for (const file of traceFiles(prefix)) {
    const tid = Number(file.slice(prefix.length + 1));
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      const match = /^(\d+\.\d+) (.*)$/.exec(text);
      if (match) lines.push({ tid, time: Number(match[1]), text: match[2] as string });
    }
  }
  return lines.sort((a, b) => a.time - b.time);
}

/** Decodes a string as strace prints it (C escapes, octal bytes) back into bytes. */
export function straceBytes(quoted: string): Buffer {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
  for (let i = 0; i < quoted.length; i++) {
    const c = quoted[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = quoted[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(quoted.slice(i + 1))?.[0];
    if (octal) {
      bytes.push(parseInt(octal, 8));
      i += octal.length;
    } else if (next === 'x') {
      bytes.push(parseInt(quoted.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes);
}

/** The name asked for in a DNS query packet (as far as the packet was printed), or undefined. */
export function dnsQuestion(packet: Buffer): string | undefined {
  if (packet.length <= 12) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < packet.length) {
    const length = packet[at] as number;
    if (length === 0 || length > 63) break;
    labels.push(packet.subarray(at + 1, Math.min(packet.length, at + 1 + length)).toString('latin1'));
    at += 1 + length;
  }
  return labels.length > 0 ? labels.join('.') : undefined;
}

const loopbackV4 = /^127\./;
const isLoopback = (address: string) =>
  loopbackV4.test(address) || address === '::1' || /^::ffff:127\./.test(address) || address === '0.0.0.0';

/**
 * What is wrong with one network call, or undefined when it stays on this machine. `dnsSockets` collects
 * the sockets (by inode) connected to port 53, so the query sent on them afterwards can be decoded.
 */
function networkFinding(text: string, dnsSockets: Set<string>): { what: string; dns?: string } | undefined {
  const call = /^(connect|sendto|sendmsg|sendmmsg)\(/.exec(text)?.[1];
  if (!call) return undefined;
  const socket = /^\w+\(\d+<(?:socket|UDP|TCP|UDPv6|TCPv6):\[(\d+)/.exec(text)?.[1];
  const port = /sin6?_port=htons\((\d+)\)/.exec(text)?.[1];
  const v4 = /sin_addr=inet_addr\("([^"]+)"\)/.exec(text)?.[1];
  const v6 = /inet_pton\(AF_INET6, "([^"]+)"/.exec(text)?.[1];
  const unixPath = /sun_path=@?"([^"]*)"/.exec(text)?.[1];
  const payload = /^\w+\(\d+(?:<[^>]*>)?, "((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
  if (port === '53' || (socket !== undefined && dnsSockets.has(socket))) {
    if (socket !== undefined) dnsSockets.add(socket);
    const name = call !== 'connect' && payload !== undefined ? dnsQuestion(straceBytes(payload)) : undefined;
    const to = v4 ?? v6;
    return {
      what: name ? `DNS query for ${name}${to ? ` to ${to}` : ''}` : `DNS ${call}${to ? ` to ${to}` : ''}`,
      dns: name,
    };
  }
  const address = v4 ?? v6;
  if (address !== undefined && !isLoopback(address)) return { what: `${call} to ${address}:${port ?? '?'}` };
  // glibc tries the name-service cache first for host, user and group look-ups; where no daemon listens
  // (the connect fails) the look-up goes on in this process and any DNS query shows above. Where one
  // answers, it could query DNS on the process's behalf, out of sight: that counts.
  if (unixPath !== undefined && /nscd|systemd\/resolve/.test(unixPath) && / = 0$/.test(text))
    return { what: `${call} to the name service at ${unixPath}` };
  return undefined;
}

/** The absolute path a successful file-creating call created, or undefined for any other line. */
function createdPath(text: string, cwd: string): string | undefined {
  if (/= -\d/.test(text) || / = \?/.test(text)) return undefined; // failed or unfinished
  const open = /^(?:open|openat)\((?:[^,]+, )?"((?:[^"\\]|\\.)*)", ([A-Z_|]+)/.exec(text);
  if (open) {
    const flags = open[2] as string;
    if (!/O_CREAT|O_WRONLY|O_RDWR|O_TRUNC/.test(flags)) return undefined;
    const returned = /= \d+<([^>]+)>\s*$/.exec(text)?.[1];
    if (returned) return returned;
    return resolveAt(text, open[1] as string, cwd);
  }
  if (/^creat\(/.test(text)) return /= \d+<([^>]+)>\s*$/.exec(text)?.[1];
  const made = /^(mkdir|mkdirat)\((?:\d+<([^>]+)>, |AT_FDCWD<([^>]+)>, |AT_FDCWD, )?"((?:[^"\\]|\\.)*)"/.exec(
    text,
  );
  if (made) return resolveAt(text, made[4] as string, made[2] ?? made[3] ?? cwd);
  const linked = /^(?:link|linkat|symlink|symlinkat)\(.*"((?:[^"\\]|\\.)*)"(?:, \w+)?\) = 0/.exec(text);
  if (linked) {
    const dirs = [...text.matchAll(/(?:AT_FDCWD|\d+)<([^>]+)>/g)].map((m) => m[1] as string);
    return resolveAt(text, linked[1] as string, dirs[1] ?? dirs[0] ?? cwd);
  }
  const renamed = /^rename(?:at2?)?\(.*"((?:[^"\\]|\\.)*)"(?:, \w+)?\) = 0/.exec(text);
  if (renamed) {
    const dirs = [...text.matchAll(/(?:AT_FDCWD|\d+)<([^>]+)>/g)].map((m) => m[1] as string);
    return resolveAt(text, renamed[1] as string, dirs[1] ?? dirs[0] ?? cwd);
  }
  return undefined;
}

function resolveAt(text: string, path: string, dir: string): string {
  if (isAbsolute(path)) return resolve(path);
  const base = /^\w+\((?:\d+|AT_FDCWD)<([^>]+)>/.exec(text)?.[1] ?? dir;
  return resolve(base, path);
}

const within = (path: string, root: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Reads a run's trace: network findings, files created outside `allowedRoots` (plus /dev and /proc),
 * and the thread/process tree. `cwd` resolves relative paths strace could not annotate.
 */
export function analyzeTrace(
  prefix: string,
  options: { allowedRoots: string[]; cwd: string },
): TraceFindings {
  const lines = readTrace(prefix);
  const findings: TraceFindings = {
    network: [],
    dnsNames: [],
    writes: [],
    created: [],
    parents: new Map(),
    threads: new Set(),
    lines,
  };
  const dnsSockets = new Set<string>();
  const roots = [...options.allowedRoots.map((root) => resolve(root)), '/dev', '/proc'];
  for (const line of lines) {
    if (!findings.parents.has(line.tid)) findings.parents.set(line.tid, undefined);
    const clone = /^(clone3?|fork|vfork)\((.*)\) = (\d+)/.exec(line.text);
    if (clone) {
      const child = Number(clone[3]);
      findings.parents.set(child, line.tid);
      if (/CLONE_THREAD/.test(clone[2] as string)) findings.threads.add(child);
      continue;
    }
    const network = networkFinding(line.text, dnsSockets);
    if (network) {
      findings.network.push(`thread ${line.tid}: ${network.what}: ${line.text}`);
      if (network.dns) findings.dnsNames.push(network.dns);
      continue;
    }
    const path = createdPath(line.text, options.cwd);
    if (path !== undefined) {
      findings.created.push(path);
      if (!roots.some((root) => within(path, root)))
        findings.writes.push(`thread ${line.tid}: created ${path}: ${line.text}`);
    }
  }
  return findings;
}

/**
 * The first line where a traced thread (of those `include` accepts) opened onnxruntime's native library:
 * proof that the tracer followed into the process that loads it. (model.onnx is no proof: Node's own
 * threads read it too, for the model's fingerprint.)
 */
export function onnxruntimeLoad(
  findings: TraceFindings,
  include: (tid: number) => boolean = () => true,
): TraceLine | undefined {
  return findings.lines.find(
    (line) =>
      include(line.tid) &&
      /^openat\(/.test(line.text) &&
      /libonnxruntime\.so[^"]*", [^)]*\) = \d/.test(line.text),
  );
}

/** Whether `tid` is `root` or was created, directly or not, by it (threads and child processes). */
export function descendsFrom(findings: TraceFindings, tid: number, root: number): boolean {
  const seen = new Set<number>();
  for (let at: number | undefined = tid; at !== undefined && !seen.has(at); at = findings.parents.get(at)) {
    if (at === root) return true;
    seen.add(at);
  }
  return false;
}

/**
 * Removes the `/tmp/mat-debug-<pid>.log` files onnxruntime's telemetry library created in a traced run
 * (it cannot be told not to; with the telemetry off it creates none). Returns the paths removed.
 */
export function removeTelemetryDebugLogs(findings: TraceFindings): string[] {
  const logs = [...new Set(findings.created.filter((path) => /\/mat-debug-\d+\.log$/.test(path)))];
  for (const path of logs) rmSync(path, { force: true });
  return logs;
}

/** Every file and folder under `dir`, relative to it (for "nothing was written to HOME"). */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (at: string, rel: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      out.push(path);
      if (entry.isDirectory()) walk(join(at, entry.name), path);
    }
  };
  walk(dir, '');
  return out;
}
