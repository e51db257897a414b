/**
 * Where the index gets its files. The extension implements `DocumentSource` over VS Code's file system,
 * open editors (unsaved text) and `files.exclude`; the CLI uses `DirectorySource` below.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

export interface SourceFile {
  /** Path or URI string; the index uses it as the document's identity. */
  uri: string;
  size: number;
  mtimeMs: number;
  /** Set when the content is unsaved editor text: its editor version (so a save or revert is seen). */
  version?: number;
}

export interface DocumentSource {
  /** Every file in scope. */
  list(signal?: AbortSignal): Promise<SourceFile[]>;
  /** One file, or undefined when it is gone or out of scope. */
  stat(uri: string): Promise<SourceFile | undefined>;
  /** The file's bytes (for unsaved editor text: its UTF-8 encoding). */
  read(uri: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** The formats the documents module reads, as globs. */
export const DEFAULT_INCLUDE = ['**/*.{xml,sgm,sgml,txt,md,markdown,greenbook,docx,pdf}'];
/** Never patent documents of the workspace: tooling, dependencies, our own cache. */
export const DEFAULT_EXCLUDE = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.patent-passages/**',
  '**/.vscode/**',
];

export interface DirectorySourceOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  /** Honour .gitignore files (root and nested); default true. */
  gitignore?: boolean;
}

/** A folder on disk, walked with include/exclude globs and .gitignore rules. */
export class DirectorySource implements DocumentSource {
  private readonly isIncluded: (path: string) => boolean;
  private readonly isExcluded: (path: string) => boolean;

  constructor(
    readonly root: string,
    private readonly options: DirectorySourceOptions = {},
  ) {
    this.isIncluded = picomatch([...(options.include ?? DEFAULT_INCLUDE)], { dot: true });
    this.isExcluded = picomatch([...(options.exclude ?? DEFAULT_EXCLUDE)], { dot: true });
  }

  async list(signal?: AbortSignal): Promise<SourceFile[]> {
    const files: SourceFile[] = [];
    await this.walk(this.root, [], files, signal);
    return files.sort((a, b) => a.uri.localeCompare(b.uri));
  }

  async stat(uri: string): Promise<SourceFile | undefined> {
    const path = this.relative(uri);
    if (path === undefined || !this.inScope(path)) return undefined;
    try {
      const info = await stat(uri);
      return info.isFile() ? { uri, size: info.size, mtimeMs: info.mtimeMs } : undefined;
    } catch {
      return undefined;
    }
  }

  async read(uri: string): Promise<Uint8Array> {
    return readFile(uri);
  }

  private inScope(path: string): boolean {
    return this.isIncluded(path) && !this.isExcluded(path);
  }

  private relative(uri: string): string | undefined {
    const path = relative(this.root, uri);
    if (path.startsWith('..') || path === '') return undefined;
    return path.split(sep).join('/');
  }

  private async walk(
    folder: string,
    rules: { base: string; ignore: Ignore }[],
    out: SourceFile[],
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return; // an unreadable folder is skipped, as git and VS Code do
    }
    const folderRules = [...rules];
    if (this.options.gitignore !== false && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      try {
        const text = await readFile(join(folder, '.gitignore'), 'utf8');
        folderRules.push({ base: folder, ignore: ignore().add(text) });
      } catch {
        /* unreadable .gitignore: no rules from it */
      }
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const rel = this.relative(path);
      if (rel === undefined) continue;
      const isFolder = entry.isDirectory();
      if (this.isExcluded(isFolder ? `${rel}/` : rel) || (this.isExcluded(`${rel}/x`) && isFolder)) continue;
      if (
        folderRules.some((r) =>
          r.ignore.ignores(relative(r.base, path).split(sep).join('/') + (isFolder ? '/' : '')),
        )
      ) {
        continue;
      }
      if (isFolder) await this.walk(path, folderRules, out, signal);
      else if (entry.isFile() && this.inScope(rel)) {
        try {
          const info = await stat(path);
          out.push({ uri: path, size: info.size, mtimeMs: info.mtimeMs });
        } catch {
          /* vanished between readdir and stat */
        }
      }
    }
  }
}
