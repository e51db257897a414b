/**
 * Where the `patentPassages.model` setting points, and whether it may be used. Plain Node (no `vscode`),
 * so the rule is unit-tested (test/unit/ui-model-setting.test.ts).
 *
 * In Restricted Mode VS Code already withholds workspace and folder values of the setting
 * (`restrictedConfigurations`), and `readConfig` ignores them too; what is left is the user's own value.
 * That value must not let the untrusted workspace supply the model folder (a model is code we run):
 * - a relative path is refused, since it would be resolved against the untrusted workspace's first folder;
 * - an absolute (or `~`) path is used unless it lies inside a workspace folder (links resolved), which a
 *   workspace could fill with a model of its choosing.
 * Refused settings fall back to the bundled model; the caller says why, once.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export type ModelFolderChoice = { folder: string } | { refused: string };

export interface ModelSettingContext {
  /** File-system paths of the workspace folders, first one first. */
  workspaceFolders: readonly string[];
  /** `vscode.workspace.isTrusted`. */
  trusted: boolean;
  /** For tests; default `os.homedir()`. */
  home?: string;
}

/**
 * The model folder for a non-empty setting: `~` expanded; a relative path against the first workspace
 * folder, but only in a trusted workspace.
 */
export function resolveModelSetting(setting: string, context: ModelSettingContext): ModelFolderChoice {
  const path = setting.replace(/^~(?=$|[\\/])/, context.home ?? homedir());
  const [first] = context.workspaceFolders;
  if (!isAbsolute(path)) {
    if (!context.trusted) {
      return {
        refused:
          'a relative model path is not used in Restricted Mode, where it would be resolved inside the ' +
          'untrusted workspace; use an absolute path, or trust the workspace',
      };
    }
    if (first === undefined) return { refused: 'a relative model path needs an open workspace folder' };
    return { folder: join(first, path) };
  }
  const folder = resolve(path);
  if (!context.trusted) {
    const inside = context.workspaceFolders.find((workspace) =>
      isInside(realPath(folder), realPath(workspace)),
    );
    if (inside !== undefined) {
      return {
        refused: `the model folder lies inside the untrusted workspace folder ${inside}, which is not used in Restricted Mode`,
      };
    }
  }
  return { folder };
}

function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path); // not there (yet): compare the path as written
  }
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
