// Bundles every entry point with esbuild. `--watch` rebuilds on change.
// Node bundles (extension host, worker, CLI, in-VS-Code tests) are CommonJS for Node 20;
// webview bundles are browser IIFEs. Native and host-provided modules stay external.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeExternal = ['vscode', 'onnxruntime-node', 'mocha', 'playwright-core'];

/**
 * `import suites from 'test-suites:<folder>'` bundles every `*.test.ts` under that folder (relative to the
 * importing file) as a sorted list of [path, load] pairs, so a new test suite needs no registration.
 * Loading is deferred: mocha must install its globals (describe, it) before a suite's module runs.
 * @type {import('esbuild').Plugin}
 */
const testSuitesPlugin = {
  name: 'test-suites',
  setup(build) {
    build.onResolve({ filter: /^test-suites:/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.slice('test-suites:'.length)),
      namespace: 'test-suites',
    }));
    build.onLoad({ filter: /.*/, namespace: 'test-suites' }, (args) => {
      const files = readdirSync(args.path, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.test.ts'))
        .sort();
      const entries = files.map(
        (file) => `[${JSON.stringify(file)}, () => require(${JSON.stringify(`./${file}`)})]`,
      );
      return {
        contents: `export default [\n${entries.join(',\n')}\n];\n`,
        resolveDir: args.path,
        watchDirs: [args.path],
      };
    });
  },
};

/**
 * Makes the CLI bundle executable after every build (watch rebuilds too): `npx patent-passages` runs the
 * `bin` through a link that npm made executable once, when first linked; esbuild writes a fresh out/cli.js
 * with mode 0644, so without this a rebuild left the link pointing at a file the shell refuses to run.
 * @type {import('esbuild').Plugin}
 */
const executablePlugin = {
  name: 'executable',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length === 0) chmodSync('out/cli.js', 0o755);
    });
  },
};

/** @type {import('esbuild').BuildOptions} */
const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  external: nodeExternal,
  plugins: [testSuitesPlugin],
  logLevel: 'warning',
};

/** Node entry points: [source, output file (without .js)]. */
const nodeEntries = [
  ['src/extension/extension.ts', 'extension'],
  ['src/cli/main.ts', 'cli'],
  ['src/core/embedding/worker.ts', 'worker'],
  // Parses documents off the calling thread; found beside the bundle as out/document-worker.js
  // (core/documents/document-thread.ts).
  ['src/core/documents/document-worker.ts', 'document-worker'],
  ['test/integration/index.ts', 'test/integration/index'],
];

/** Browser entry points for webviews: [source, output file (without .js)]. */
const webviewEntries = [
  ['src/webview/panel.ts', 'webview/panel'],
  ['src/webview/sidebar.ts', 'webview/sidebar'],
];

const builds = [
  ...nodeEntries
    .filter(([src]) => existsSync(src))
    .map(([src, out]) => ({
      ...nodeCommon,
      entryPoints: { [out]: src },
      outdir: 'out',
      banner: out === 'cli' ? { js: '#!/usr/bin/env node' } : undefined,
      plugins: out === 'cli' ? [testSuitesPlugin, executablePlugin] : nodeCommon.plugins,
    })),
  ...webviewEntries
    .filter(([src]) => existsSync(src))
    .map(([src, out]) => ({
      bundle: true,
      platform: 'browser',
      target: 'es2022',
      format: 'iife',
      sourcemap: production ? false : 'linked',
      minify: production,
      entryPoints: { [out]: src },
      outdir: 'out',
      logLevel: 'warning',
    })),
];

if (!watch) rmSync('out', { recursive: true, force: true });
// The webviews' icon font (codicons), served from out/ so the package needs no node_modules at run time.
mkdirSync('out/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `out/codicons/${file}`);
}
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${builds.length} bundles`);
} else {
  const started = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${builds.length} bundles in ${Date.now() - started} ms`);
}
