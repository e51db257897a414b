/**
 * The index's view of the workspace through VS Code: files matched by `patentPassages.include` /
 * `exclude` (and `files.exclude`) in every workspace folder, with the unsaved text of open editors taking
 * the place of the file on disk.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import * as vscode from 'vscode';
import type { DocumentSource, SourceFile } from '../core/index/source';
import type { PatentPassagesConfig } from './config';

function excludeGlob(config: PatentPassagesConfig): string | undefined {
  const filesExclude =
    vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
  const patterns = [
    ...config.exclude,
    ...Object.entries(filesExclude)
      .filter(([, on]) => on === true)
      .map(([p]) => p),
  ];
  return patterns.length > 0 ? `{${patterns.join(',')}}` : undefined;
}

/** The key the index uses for a document: the URI as a string (works for remote and untitled schemes). */
export function sourceKey(uri: vscode.Uri): string {
  return uri.toString();
}

export class VscodeDocumentSource implements DocumentSource {
  constructor(private readonly config: () => PatentPassagesConfig) {}

  private openDocument(uri: string): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  }

  /** True when the file is in scope: under a workspace folder, included and not excluded. */
  inScope(uri: vscode.Uri): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return false;
    const config = this.config();
    const relative = posix.relative(folder.uri.path, uri.path);
    // `..` segments in the URI can lead out of the folder VS Code matched by prefix.
    if (relative === '' || relative === '..' || relative.startsWith('../') || posix.isAbsolute(relative))
      return false;
    return (
      picomatch(config.include, { dot: true })(relative) &&
      !picomatch(config.exclude, { dot: true })(relative)
    );
  }

  async list(signal?: AbortSignal): Promise<SourceFile[]> {
    const config = this.config();
    const exclude = excludeGlob(config);
    const uris = new Map<string, vscode.Uri>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const include of config.include) {
        signal?.throwIfAborted();
        const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, include), exclude);
        for (const uri of found) uris.set(sourceKey(uri), uri);
      }
    }
    const files: SourceFile[] = [];
    for (const [key, uri] of uris) {
      signal?.throwIfAborted();
      const file = await this.statUri(key, uri);
      if (file) files.push(file);
    }
    return files.sort((a, b) => a.uri.localeCompare(b.uri));
  }

  async stat(uri: string): Promise<SourceFile | undefined> {
    return this.statUri(uri, vscode.Uri.parse(uri, true));
  }

  private async statUri(key: string, uri: vscode.Uri): Promise<SourceFile | undefined> {
    const open = this.openDocument(key);
    try {
      const info = await vscode.workspace.fs.stat(uri);
      if (info.type & vscode.FileType.Directory) return undefined;
      const file: SourceFile = { uri: key, size: info.size, mtimeMs: info.mtime };
      if (open?.isDirty) {
        file.version = open.version;
        file.size = Buffer.byteLength(open.getText(), 'utf8');
      }
      return file;
    } catch {
      // Not on disk (deleted, or an untitled editor): only unsaved editor text can stand in.
      if (open && open.isDirty)
        return {
          uri: key,
          size: Buffer.byteLength(open.getText(), 'utf8'),
          mtimeMs: Date.now(),
          version: open.version,
        };
      return undefined;
    }
  }

  async read(uri: string, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const open = this.openDocument(uri);
    if (open?.isDirty) return Buffer.from(open.getText(), 'utf8');
    return vscode.workspace.fs.readFile(vscode.Uri.parse(uri, true));
  }
}
