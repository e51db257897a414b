import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file lives in test/vscode/). */
export const repoRoot = resolve(__dirname, '..', '..');

/** code-server as installed by scripts/setup.sh (a test tool, not one of the extension's dependencies). */
export const codeServerBin = join(
  repoRoot,
  '.vscode-test',
  'code-server',
  'node_modules',
  '.bin',
  'code-server',
);

/** Debian's chromium: no browser can be downloaded here, so playwright-core drives the system one. */
export const chromiumPath = process.env.PATENT_PASSAGES_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots and other test artifacts go (git-ignored). */
export const artifactsDir = join(repoRoot, 'artifacts');

/**
 * The shared read-only material (real patent documents) beside the checkout: `../shared` by default,
 * `PATENT_PASSAGES_SHARED` to point elsewhere.
 */
export function sharedDir(): string {
  const dir = resolve(process.env.PATENT_PASSAGES_SHARED ?? join(repoRoot, '..', 'shared'));
  if (!existsSync(join(dir, 'data'))) {
    throw new Error(
      `The shared patent data is missing: no ${join(dir, 'data')}. ` +
        'Put the shared folder beside the checkout or set PATENT_PASSAGES_SHARED to its path.',
    );
  }
  return dir;
}

/** Fails with the command that fixes it when a piece set up by scripts/setup.sh is missing. */
export function requireSetUp(): void {
  for (const [path, what] of [
    [codeServerBin, 'code-server'],
    [chromiumPath, 'chromium'],
  ] as const) {
    if (!existsSync(path))
      throw new Error(`${what} is not installed (${path} is missing): run bash scripts/setup.sh`);
  }
}
