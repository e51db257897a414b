/** The `patentPassages.model` setting → a model folder, in trusted and untrusted (Restricted Mode) workspaces. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveModelSetting } from '../../src/extension/modelSetting';

let root: string;
let workspace: string;
let outside: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pp-model-setting-'));
  workspace = join(root, 'client-matter');
  outside = join(root, 'my-models', 'bge');
  await mkdir(join(workspace, 'models', 'evil'), { recursive: true });
  await mkdir(outside, { recursive: true });
  // A link outside the workspace that leads into it.
  await symlink(join(workspace, 'models'), join(root, 'link-into-workspace'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('model setting in a trusted workspace', () => {
  it('resolves a relative path against the first workspace folder', () => {
    assert.deepEqual(
      resolveModelSetting('models/evil', { workspaceFolders: [workspace, root], trusted: true }),
      { folder: join(workspace, 'models', 'evil') },
    );
  });
  it('expands ~ and keeps absolute paths, inside the workspace too', () => {
    assert.deepEqual(
      resolveModelSetting('~/m', { workspaceFolders: [workspace], trusted: true, home: root }),
      {
        folder: join(root, 'm'),
      },
    );
    const inside = join(workspace, 'models', 'evil');
    assert.deepEqual(resolveModelSetting(inside, { workspaceFolders: [workspace], trusted: true }), {
      folder: inside,
    });
  });
  it('refuses a relative path when no folder is open (it would depend on the process directory)', () => {
    const choice = resolveModelSetting('models/x', { workspaceFolders: [], trusted: true });
    assert.match('refused' in choice ? choice.refused : '', /needs an open workspace folder/);
  });
});

describe('model setting in Restricted Mode (untrusted workspace)', () => {
  const untrusted = () => ({ workspaceFolders: [workspace], trusted: false, home: root });
  for (const setting of ['models/evil', './models/evil', 'models\\evil', '.', '..']) {
    it(`refuses the relative path ${JSON.stringify(setting)}: it would resolve inside the workspace`, () => {
      const choice = resolveModelSetting(setting, untrusted());
      assert.ok('refused' in choice, JSON.stringify(choice));
      assert.match(choice.refused, /relative model path is not used in Restricted Mode/);
    });
  }
  it('uses an absolute or ~ path outside the workspace (the user chose it)', () => {
    assert.deepEqual(resolveModelSetting(outside, untrusted()), { folder: outside });
    assert.deepEqual(resolveModelSetting('~/my-models/bge', untrusted()), { folder: outside });
  });
  it('refuses an absolute path inside a workspace folder, also through a link or `..`', () => {
    for (const setting of [
      join(workspace, 'models', 'evil'),
      workspace,
      join(root, 'link-into-workspace', 'evil'),
      join(outside, '..', '..', 'client-matter', 'models', 'evil'),
      '~/client-matter/models/evil',
    ]) {
      const choice = resolveModelSetting(setting, untrusted());
      assert.ok('refused' in choice, `${setting}: ${JSON.stringify(choice)}`);
      assert.match(choice.refused, /inside the untrusted workspace folder/);
    }
  });
  it('checks every workspace folder of a multi-root workspace', () => {
    const choice = resolveModelSetting(join(workspace, 'models', 'evil'), {
      workspaceFolders: [outside, workspace],
      trusted: false,
    });
    assert.ok('refused' in choice);
  });
  it('a sibling folder whose name starts like the workspace is not inside it', () => {
    const sibling = `${workspace}-models`;
    assert.deepEqual(resolveModelSetting(sibling, untrusted()), { folder: sibling });
  });
});
