import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedDir } from './paths';

const fixtureDir = join(repoRoot, 'test', 'fixtures', 'workspace');

/** Folders of real patent documents in the shared data, copied to `prior-art/<name>/` in the workspace. */
const priorArtSources = ['uspto', 'ep'];

/**
 * Fills `dest` (emptied first) with the sample workspace: the Markdown draft from
 * test/fixtures/workspace/ and the real USPTO and EPO documents from the shared data under `prior-art/`.
 * Tests get a fresh copy per run, so nothing they write leaks into the next run.
 */
export function prepareSampleWorkspace(dest: string): string {
  const shared = sharedDir();
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(fixtureDir)) {
    if (entry === 'README.md') continue; // describes the fixture; not part of the workspace
    cpSync(join(fixtureDir, entry), join(dest, entry), { recursive: true });
  }
  for (const source of priorArtSources) {
    const from = join(shared, 'data', source);
    if (!existsSync(from)) throw new Error(`The shared patent data has no ${from}`);
    const to = join(dest, 'prior-art', source);
    mkdirSync(to, { recursive: true });
    for (const file of readdirSync(from).filter((name) => name.endsWith('.xml'))) {
      copyFileSync(join(from, file), join(to, file));
      chmodSync(join(to, file), 0o644); // the shared originals are read-only; tests may edit their copies
    }
  }
  return dest;
}
