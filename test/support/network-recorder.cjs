/* eslint-disable @typescript-eslint/no-require-imports */
// Records every attempt of this Node process (and of its worker threads) to reach the network, for the
// privacy tests. Load it with `node --require <this file>` or NODE_OPTIONS="--require <this file>"; it
// does nothing unless PATENT_PASSAGES_NET_LOG names a file. Each attempt appends one JSON line there:
// { kind, target, pid, thread, argv1, stack }, and every process/thread it is loaded in appends
// { pid, thread, argv1, entry } to <file>.loaded (so a test can check that worker threads were covered). The call itself then proceeds unchanged (the test decides what
// an attempt means; under `unshare --net` it fails anyway).
//
// Wrapped: net.Socket.prototype.connect (every TCP and IPC client socket: net.connect/createConnection,
// http(s), tls, fetch/undici all end there), net.connect/createConnection, tls.connect,
// http(s).request/get, dns.lookup/lookupService/resolve*/reverse and dns.promises (+ dns.Resolver),
// dgram Socket send/connect, and globalThis.fetch.
//
// PATENT_PASSAGES_NET_ALLOW_LOOPBACK=1: attempts to loopback hosts (localhost, 127.0.0.0/8, ::1) and Unix
// sockets / named pipes are not recorded (code-server's own IPC and its 127.0.0.1 server); DNS look-ups are
// recorded unless the name is `localhost` or a loopback address. Without it, everything is recorded.
'use strict';

const logFile = process.env.PATENT_PASSAGES_NET_LOG;
if (logFile && !globalThis.__patentPassagesNetworkRecorder) {
  globalThis.__patentPassagesNetworkRecorder = true;
  const fs = require('node:fs');
  const net = require('node:net');
  const tls = require('node:tls');
  const http = require('node:http');
  const https = require('node:https');
  const dns = require('node:dns');
  const dgram = require('node:dgram');
  let threadId = 0;
  try {
    threadId = require('node:worker_threads').threadId;
  } catch {
    // No worker_threads: main thread.
  }
  const allowLoopback = process.env.PATENT_PASSAGES_NET_ALLOW_LOOPBACK === '1';
  // Proof of coverage: every process and thread the recorder is active in leaves one line in <log>.loaded.
  try {
    fs.appendFileSync(
      `${logFile}.loaded`,
      JSON.stringify({
        pid: process.pid,
        thread: threadId,
        argv1: process.argv[1],
        // VS Code's forked processes name their role here (e.g. vs/workbench/api/node/extensionHostProcess).
        entry: process.env.VSCODE_ESM_ENTRYPOINT,
      }) + '\n',
    );
  } catch {
    // Never break the process under test.
  }

  const isLoopbackHost = (host) => {
    if (typeof host !== 'string' || host === '') return true; // Node's default host is localhost.
    const h = host.replace(/^\[|\]$/g, '').toLowerCase();
    return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^(::ffff:)?127\./.test(h);
  };

  let recording = false;
  const record = (kind, target, loopback) => {
    if (allowLoopback && loopback) return;
    if (recording) return; // An attempt inside our own bookkeeping (never expected).
    recording = true;
    try {
      const line = JSON.stringify({
        kind,
        target,
        pid: process.pid,
        thread: threadId,
        argv1: process.argv[1],
        stack: (new Error().stack || '').split('\n').slice(2, 12).join('\n'),
      });
      fs.appendFileSync(logFile, line + '\n');
    } catch {
      // Never break the process under test.
    } finally {
      recording = false;
    }
  };

  // Arguments of net.connect / Socket#connect: (options[, cb]), (port[, host][, cb]), (path[, cb]); Node's
  // own callers pass a normalized [options, cb] array as the first argument.
  const socketTarget = (args) => {
    let first = args[0];
    if (Array.isArray(first)) first = first[0];
    if (first && typeof first === 'object') {
      if (typeof first.path === 'string') return { target: `ipc:${first.path}`, loopback: true };
      const host = first.host ?? first.hostname ?? 'localhost';
      return { target: `${host}:${first.port}`, loopback: isLoopbackHost(host) };
    }
    if (typeof first === 'string' && !/^\d+$/.test(first)) return { target: `ipc:${first}`, loopback: true };
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    return { target: `${host}:${first}`, loopback: isLoopbackHost(host) };
  };

  const wrap = (object, name, kind, describe) => {
    const original = object?.[name];
    if (typeof original !== 'function' || original.__recorded) return;
    const wrapped = function (...args) {
      let described;
      try {
        described = describe(args);
      } catch {
        described = { target: '?', loopback: false };
      }
      if (described) record(kind, described.target, described.loopback);
      return original.apply(this, args);
    };
    wrapped.__recorded = true;
    object[name] = wrapped;
  };

  // Socket#connect is where every client socket ends, so one attempt can be recorded twice (net.connect,
  // then Socket#connect): the tests count attempts, not calls.
  wrap(net.Socket.prototype, 'connect', 'net.Socket.connect', socketTarget);
  wrap(net, 'connect', 'net.connect', socketTarget);
  wrap(net, 'createConnection', 'net.createConnection', socketTarget);
  wrap(tls, 'connect', 'tls.connect', socketTarget);

  const requestTarget = (scheme) => (args) => {
    const first = args[0];
    let host;
    let port;
    if (typeof first === 'string' || first instanceof URL) {
      const url = new URL(String(first));
      host = url.hostname;
      port = url.port;
    } else if (first && typeof first === 'object') {
      if (typeof first.socketPath === 'string') return { target: `ipc:${first.socketPath}`, loopback: true };
      host = first.hostname ?? first.host ?? 'localhost';
      port = first.port;
    }
    const options = args[1] && typeof args[1] === 'object' && !(args[1] instanceof URL) ? args[1] : undefined;
    if (typeof options?.socketPath === 'string')
      return { target: `ipc:${options.socketPath}`, loopback: true };
    if (options?.hostname || options?.host) host = options.hostname ?? options.host;
    return { target: `${scheme}://${host}${port ? `:${port}` : ''}`, loopback: isLoopbackHost(host) };
  };
  for (const [module, scheme] of [
    [http, 'http'],
    [https, 'https'],
  ]) {
    wrap(module, 'request', `${scheme}.request`, requestTarget(scheme));
    wrap(module, 'get', `${scheme}.get`, requestTarget(scheme));
  }

  const nameTarget = (args) => {
    const name = String(args[0]);
    return { target: name, loopback: isLoopbackHost(name) };
  };
  const dnsFunctions = [
    'lookup',
    'lookupService',
    'resolve',
    'resolve4',
    'resolve6',
    'resolveAny',
    'resolveCname',
    'resolveMx',
    'resolveNs',
    'resolveTxt',
    'resolveSrv',
    'resolvePtr',
    'resolveNaptr',
    'resolveSoa',
    'resolveCaa',
    'reverse',
  ];
  // dns.lookup of an IP address literal asks no server (Node answers it itself, e.g. for a dgram bind to
  // 0.0.0.0): not recorded; the connection to that address is.
  const lookupTarget = (args) => (net.isIP(String(args[0])) !== 0 ? null : nameTarget(args));
  for (const name of dnsFunctions) {
    const describe = name === 'lookup' ? lookupTarget : nameTarget;
    wrap(dns, name, `dns.${name}`, describe);
    wrap(dns.promises, name, `dns.promises.${name}`, describe);
    wrap(dns.Resolver?.prototype, name, `dns.Resolver.${name}`, nameTarget);
    wrap(dns.promises.Resolver?.prototype, name, `dns.promises.Resolver.${name}`, nameTarget);
  }

  const datagramTarget = (portIndex) => (args) => {
    // send(msg[, offset, length], port[, address][, cb]) or connect(port[, address][, cb]); a connected
    // socket's send has no port.
    let index = portIndex;
    if (portIndex > 0 && typeof args[1] === 'number' && typeof args[2] === 'number') index = 3;
    const port = args[index];
    if (typeof port !== 'number') return { target: 'udp:(connected)', loopback: true };
    const address = typeof args[index + 1] === 'string' ? args[index + 1] : 'localhost';
    return { target: `udp:${address}:${port}`, loopback: isLoopbackHost(address) };
  };
  wrap(dgram.Socket.prototype, 'send', 'dgram.send', datagramTarget(1));
  wrap(dgram.Socket.prototype, 'connect', 'dgram.connect', datagramTarget(0));

  if (typeof globalThis.fetch === 'function') {
    wrap(globalThis, 'fetch', 'fetch', (args) => {
      const input = args[0];
      const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
      if (url.protocol === 'file:' || url.protocol === 'data:' || url.protocol === 'blob:') {
        return null; // Not the network.
      }
      return { target: url.origin, loopback: isLoopbackHost(url.hostname) };
    });
  }
}
