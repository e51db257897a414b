// `npm run package`: builds per-platform VSIX files into artifacts/.
//
//   npm run package                          linux-x64
//   npm run package -- --target darwin-arm64 one target (repeatable)
//   npm run package -- --all                 every target onnxruntime-node ships binaries for
//   npm run package -- --no-build            package the current out/ as it is
//
// onnxruntime-node carries every platform's native binaries (~290 MB). Each VSIX carries only its own:
// the packager stages one folder per target with the production bundles, the bundled model, and just the
// runtime files of that platform's onnxruntime, then runs `vsce package --target` on it with the deny-all
// .vscodeignore. It fails, naming the file, when something the extension needs at run time is missing.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'artifacts');
const ortBin = join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');

/** The bundled default model (built by `npm run build:models`) and the files it cannot work without. */
const bundledModel = {
  dir: 'models/use-lite-en',
  required: ['model.onnx', 'tokenizer.json', 'patent-passages.json'],
};

/**
 * onnxruntime's files each platform loads at run time with the CPU execution provider (the only one the
 * extension uses). Measured from the binaries' import tables: on Windows onnxruntime.dll delay-loads
 * DirectML.dll only for the DirectML provider and never imports dxcompiler/dxil (WebGPU); on macOS the
 * binding links @rpath/libonnxruntime.1.dylib, and libonnxruntime.1.30.0.dylib is a byte-identical copy;
 * CUDA/TensorRT provider libraries (linux, when installed) load only for those providers.
 */
const ortRuntimeFiles = {
  linux: ['onnxruntime_binding.node', 'libonnxruntime.so.1'],
  darwin: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'],
  win32: ['onnxruntime_binding.node', 'onnxruntime.dll'],
};

/** Files every VSIX needs, relative to the repository root. */
const requiredFiles = [
  'package.json',
  'README.md',
  'LICENSE',
  'out/extension.js',
  'out/worker.js',
  'out/document-worker.js',
  'node_modules/onnxruntime-node/package.json',
  'node_modules/onnxruntime-node/dist/index.js',
  'node_modules/onnxruntime-common/package.json',
  'node_modules/onnxruntime-common/dist/cjs/index.js',
  ...bundledModel.required.map((file) => `${bundledModel.dir}/${file}`),
];

class PackageError extends Error {}

function fail(message) {
  throw new PackageError(message);
}

/** vsce targets onnxruntime-node ships binaries for, e.g. linux-x64, from its bin/napi-v6/<os>/<arch>/. */
function availableTargets() {
  if (!existsSync(ortBin)) fail(`${relative(root, ortBin)} is missing: run bash scripts/setup.sh (npm ci)`);
  return readdirSync(ortBin)
    .filter((os) => os in ortRuntimeFiles)
    .flatMap((os) => readdirSync(join(ortBin, os)).map((arch) => `${os}-${arch}`))
    .sort();
}

function parseArgs(argv) {
  const options = { targets: [], all: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--all') options.all = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--target' || arg === '-t') {
      const value = argv[++i];
      if (!value) fail('--target needs a value, e.g. --target linux-x64');
      options.targets.push(value);
    } else if (arg.startsWith('--target=')) options.targets.push(arg.slice('--target='.length));
    else if (arg === '--help' || arg === '-h') {
      console.log('Usage: npm run package [-- --target <os-arch>]... [--all] [--no-build]');
      process.exit(0);
    } else fail(`unknown option '${arg}' (see npm run package -- --help)`);
  }
  return options;
}

function copyFile(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function copyTree(from, to, keep = () => true) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, dest, keep);
    else if (entry.isFile() && keep(source)) copyFile(source, dest);
  }
}

/**
 * package.json as shipped: no development fields, and as dependencies only onnxruntime-node — the one
 * module the bundles load at run time (native, so esbuild leaves it external); the rest is bundled.
 * vsce takes the modules to ship from `npm list --production` in the staging folder.
 */
function shippedManifest() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const field of ['scripts', 'devDependencies', 'bin', 'private']) delete manifest[field];
  manifest.dependencies = { 'onnxruntime-node': manifest.dependencies['onnxruntime-node'] };
  return manifest;
}

function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function stage(target, dir) {
  const [os, arch] = target.split('-');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, 'package.json'), shippedManifest());
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
    if (existsSync(join(root, file))) copyFile(join(root, file), join(dir, file));
  }
  if (existsSync(join(root, 'media'))) copyTree(join(root, 'media'), join(dir, 'media'));
  // Not the test bundle, the CLI (it is for checkouts) or source maps.
  const outDir = join(root, 'out');
  copyTree(outDir, join(dir, 'out'), (file) => {
    const path = relative(outDir, file);
    return !path.startsWith('test/') && !path.startsWith('cli.') && !path.endsWith('.map');
  });
  copyTree(
    join(root, bundledModel.dir),
    join(dir, bundledModel.dir),
    (file) => !file.split('/').pop().startsWith('.'),
  );

  // onnxruntime-node: its JavaScript, this platform's runtime files, and a manifest without the
  // install-script-only dependencies (adm-zip, global-agent) so that npm sees a complete tree.
  const ortFrom = join(root, 'node_modules', 'onnxruntime-node');
  const ortTo = join(dir, 'node_modules', 'onnxruntime-node');
  copyTree(join(ortFrom, 'dist'), join(ortTo, 'dist'), (file) => file.endsWith('.js'));
  const ortManifest = JSON.parse(readFileSync(join(ortFrom, 'package.json'), 'utf8'));
  delete ortManifest.scripts;
  ortManifest.dependencies = { 'onnxruntime-common': ortManifest.dependencies['onnxruntime-common'] };
  writeJson(join(ortTo, 'package.json'), ortManifest);
  const binFrom = join(ortBin, os, arch);
  const binTo = join(ortTo, 'bin', 'napi-v6', os, arch);
  for (const file of ortRuntimeFiles[os]) {
    if (!existsSync(join(binFrom, file)))
      fail(`${relative(root, join(binFrom, file))} is missing (needed for ${target})`);
    copyFile(join(binFrom, file), join(binTo, file));
  }
  const commonFrom = join(root, 'node_modules', 'onnxruntime-common');
  const commonTo = join(dir, 'node_modules', 'onnxruntime-common');
  copyFile(join(commonFrom, 'package.json'), join(commonTo, 'package.json'));
  copyTree(join(commonFrom, 'dist', 'cjs'), join(commonTo, 'dist', 'cjs'), (f) =>
    /\.js$|package\.json$/.test(f),
  );
}

/** Entry names and sizes from a zip's central directory (a VSIX is a zip). */
function zipEntries(file) {
  const data = readFileSync(file);
  const eocd = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) fail(`${file} is not a zip file`);
  const count = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const nameLength = data.readUInt16LE(at + 28);
    const extra = data.readUInt16LE(at + 30);
    const comment = data.readUInt16LE(at + 32);
    entries.push({
      name: data.toString('utf8', at + 46, at + 46 + nameLength),
      size: data.readUInt32LE(at + 24),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

/** The VSIX holds what the extension loads on `target`, and no other platform's binaries. */
function verify(vsix, target) {
  const [os, arch] = target.split('-');
  const names = new Set(zipEntries(vsix).map((e) => e.name));
  const expected = [
    'extension/package.json',
    'extension/out/extension.js',
    'extension/out/worker.js',
    'extension/out/document-worker.js',
    ...bundledModel.required.map((f) => `extension/${bundledModel.dir}/${f}`),
    ...ortRuntimeFiles[os].map(
      (f) => `extension/node_modules/onnxruntime-node/bin/napi-v6/${os}/${arch}/${f}`,
    ),
    'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
  ];
  const missing = expected.filter((name) => !names.has(name));
  if (missing.length) fail(`${relative(root, vsix)} lacks ${missing.join(', ')}`);
  const foreign = [...names].filter(
    (name) => name.includes('/bin/napi-v6/') && !name.includes(`/bin/napi-v6/${os}/${arch}/`),
  );
  if (foreign.length)
    fail(`${relative(root, vsix)} carries other platforms' binaries: ${foreign.join(', ')}`);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const available = availableTargets();
  const targets = options.all ? available : options.targets.length ? options.targets : ['linux-x64'];
  for (const target of targets) {
    if (!available.includes(target))
      fail(`no onnxruntime binaries for '${target}'; targets: ${available.join(', ')}`);
  }

  if (options.build)
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production'], {
      cwd: root,
      stdio: 'inherit',
    });
  const missing = requiredFiles.filter((file) => !existsSync(join(root, file)));
  if (missing.length) {
    const hints = [];
    if (missing.some((f) => f.startsWith('out/'))) hints.push('npm run build');
    if (missing.some((f) => f.startsWith('models/'))) hints.push('npm run build:models');
    if (missing.some((f) => f.startsWith('node_modules/'))) hints.push('bash scripts/setup.sh');
    fail(
      `cannot package, missing: ${missing.join(', ')}${hints.length ? ` (run ${hints.join(', then ')})` : ''}`,
    );
  }

  const { version, name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  for (const target of targets) {
    const dir = join(artifacts, 'package', target);
    const vsix = join(artifacts, `${name}-${version}-${target}.vsix`);
    console.log(`\n== ${target}: staging ${relative(root, dir)}`);
    stage(target, dir);
    execFileSync(
      process.execPath,
      [
        vsce,
        'package',
        '--target',
        target,
        '--dependencies',
        '--no-yarn',
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '--out',
        vsix,
      ],
      { cwd: dir, stdio: 'inherit' },
    );
    verify(vsix, target);
    const mb = (statSync(vsix).size / 1e6).toFixed(1);
    console.log(
      `== ${target}: ${relative(root, vsix)} (${mb} MB, ${zipEntries(vsix).length} files) verified`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(join(artifacts, 'package'), { recursive: true, force: true });
}

try {
  main();
} catch (error) {
  if (error instanceof PackageError) {
    console.error(`npm run package: ${error.message}`);
    process.exit(1);
  }
  if (error && typeof error === 'object' && 'status' in error) {
    console.error(`npm run package: a step failed (exit ${error.status}); see its output above`);
    process.exit(1);
  }
  throw error;
}
