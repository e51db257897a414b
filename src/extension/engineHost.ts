/**
 * Owns the embedding engine and the passage index for the workspace, keeps the index current (initial
 * scan in the background, file watchers, renames, unsaved editor text) and rebuilds both when the model
 * setting changes. The UI talks to it through `PassageSearchPort`.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import picomatch from 'picomatch';
import * as vscode from 'vscode';
import {
  detectBulk,
  looksLikePatentDocument,
  parseDocumentWith,
  SIGNATURE_BYTES,
  type DocumentParser,
} from '../core/documents';
import { createEmbedder, type Embedder } from '../core/embedding';
import { PassageIndex, defaultRoleOf, type DocumentInfo } from '../core/index/passage-index';
import type { Logger } from '../core/logger';
import type { FileChange, IndexStatus, SearchQuery, SearchResponse } from '../core/search/types';
import type { StatusView } from '../shared/protocol';
import { currentConfig, type PatentPassagesConfig } from './config';
import { VscodeDocumentSource, sourceKey } from './documentSource';
import { describeError, type Notifier } from './notifier';
import { resolveModelSetting } from './modelSetting';
import type { PassageSearchPort } from './searchService';

export const BUNDLED_MODELS = ['bge-base-patentmatch', 'use-lite-en'];

/** The bundled model folder: the patent-tuned model if it was built, else the small general one. */
export function bundledModelFolder(extensionPath: string): string {
  for (const name of BUNDLED_MODELS) {
    const folder = join(extensionPath, 'models', name);
    if (existsSync(join(folder, 'patent-passages.json')) || existsSync(join(folder, 'model.onnx')))
      return folder;
  }
  return join(extensionPath, 'models', BUNDLED_MODELS[BUNDLED_MODELS.length - 1]!);
}

/** Stands in when no model can be loaded: searches then run on words only, and say so. */
class UnavailableEmbedder implements Embedder {
  readonly dims = 1;
  constructor(
    readonly modelId: string,
    private readonly reason: string,
  ) {}
  embed(): Promise<Float32Array[]> {
    return Promise.reject(new Error(this.reason));
  }
  dispose(): void {}
}

interface Engine {
  embedder: Embedder;
  index: PassageIndex;
  modelLabel: string;
  statusListener: { dispose(): void };
}

/** At most this many text/XML files are read to decide whether a workspace is a patent matter. */
const MAX_SIGNATURE_CHECKS = 500;

export interface EngineHostOptions {
  extensionPath: string;
  storageDir: string | undefined;
  logger: Logger;
  notifier: Notifier;
  /** Parses workspace files off this thread; owned by the composition root. */
  documents: DocumentParser;
}

export class EngineHost implements PassageSearchPort, vscode.Disposable {
  private engine: Engine | undefined;
  private starting: Promise<Engine> | undefined;
  private readonly source: VscodeDocumentSource;
  private readonly listeners = new Set<(status: IndexStatus) => void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly statusBar: vscode.StatusBarItem;
  private pending: FileChange[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly editTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private updateController: AbortController | undefined;
  /** Every update running now (full or incremental): what "Cancel Indexing" stops. */
  private readonly runningUpdates = new Set<AbortController>();
  private indexingContext = false;
  private lastStatus: IndexStatus = { state: 'indexing', documents: 0, paragraphs: 0, modelId: '' };
  private modelLabel = '…';
  private disposed = false;
  /** Set while indexing waits for the first search (see `defer`). */
  private deferredReason: string | undefined;

  constructor(private readonly options: EngineHostOptions) {
    this.source = new VscodeDocumentSource(() => currentConfig());
    this.statusBar = vscode.window.createStatusBarItem(
      'patentPassages.status',
      vscode.StatusBarAlignment.Left,
      20,
    );
    this.statusBar.name = 'Patent Passages index';
    this.statusBar.command = 'patentPassages.sidebar.focus';
    this.renderStatusBar();
    this.statusBar.show();
    this.watch();
  }

  // ---- PassageSearchPort ----------------------------------------------------------------------------

  async search(query: SearchQuery): Promise<SearchResponse> {
    const engine = await this.ready();
    return engine.index.search(query);
  }

  status(): IndexStatus {
    return { ...this.lastStatus };
  }

  onDidChangeStatus(listener: (status: IndexStatus) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The status as the webviews show it. */
  statusView(): StatusView {
    const s = this.lastStatus;
    const view: StatusView = {
      state: this.engine || this.deferredReason ? s.state : s.state === 'error' ? 'error' : 'starting',
      documents: s.documents,
      paragraphs: s.paragraphs,
      model: this.modelLabel,
    };
    if (s.progress) view.progress = s.progress;
    const notes = [
      s.message,
      s.pendingEmbeddings ? `${s.pendingEmbeddings} paragraphs still being embedded` : undefined,
      s.storage === 'memory' ? 'cache not saved to disk' : undefined,
    ].filter(Boolean);
    if (notes.length > 0) view.message = notes.join(' · ');
    return view;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Whether the workspace holds a patent document (`looksLikePatentDocument` on the first MB of its text
   * and XML files): `indexOnStartup: auto` starts indexing only then. Word and PDF files alone do not
   * count — manuals and papers sit in many an ordinary repository.
   */
  async hasPatentDocuments(signal?: AbortSignal): Promise<boolean> {
    const candidates = (await this.source.list(signal))
      .filter((file) => /\.(?:xml|md|markdown|txt|text)$/i.test(file.uri) && file.size > 0)
      .slice(0, MAX_SIGNATURE_CHECKS);
    for (const file of candidates) {
      try {
        const bytes = await this.source.read(file.uri, signal);
        if (looksLikePatentDocument(bytes.subarray(0, SIGNATURE_BYTES), file.uri)) return true;
      } catch {
        // Unreadable here is the index's to report, if it ever runs.
      }
    }
    return false;
  }

  /** Indexing waits for the first search or Re-index: say so where the status is shown. */
  defer(reason: string): void {
    this.deferredReason = reason;
    this.emit({ state: 'idle', documents: 0, paragraphs: 0, modelId: '', message: reason });
  }

  /** Creates the engine (once) and starts the initial index update in the background. */
  start(): Promise<Engine> {
    this.deferredReason = undefined;
    this.starting ??= this.createEngine().then((engine) => {
      this.engine = engine;
      // The full update starts at once: say "indexing" rather than a momentary "0 documents".
      this.emit({ ...engine.index.status(), state: 'indexing' });
      void this.runUpdate('full', 'Indexing the workspace');
      return engine;
    });
    return this.starting;
  }

  private ready(): Promise<Engine> {
    return this.engine ? Promise.resolve(this.engine) : this.start();
  }

  /**
   * Stops every update running now ("Cancel Indexing"): reading stops within a second (each parse gets the
   * signal), what was indexed so far is kept and saved, and the next change or re-index goes on from there.
   * Returns whether anything was running.
   */
  cancelIndexing(): boolean {
    const running = [...this.runningUpdates];
    for (const controller of running) controller.abort();
    if (running.length) this.options.logger.info('Indexing cancelled by the user.');
    return running.length > 0;
  }

  /** Re-reads every file (cancelling an update in progress). */
  reindex(): Promise<void> {
    this.updateController?.abort();
    return this.ready().then(() => this.runUpdate('full', 'Re-indexing the workspace'));
  }

  /** The model setting changed: build a new engine and index (their cache files are separate per model). */
  async restart(): Promise<void> {
    this.updateController?.abort();
    const old = this.engine ?? (await this.starting?.catch(() => undefined));
    this.engine = undefined;
    this.starting = undefined;
    if (old) await this.disposeEngine(old);
    await this.start();
  }

  private async createEngine(): Promise<Engine> {
    const config = currentConfig();
    const { logger, notifier } = this.options;
    const workerPath = join(this.options.extensionPath, 'out', 'worker.js');
    const bundled = bundledModelFolder(this.options.extensionPath);
    let folder = bundled;
    if (config.model) {
      const choice = resolveModelSetting(config.model, {
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        trusted: vscode.workspace.isTrusted,
      });
      if ('folder' in choice) folder = choice.folder;
      else
        notifier.warn(
          `The model setting "${config.model}" is not used: ${choice.refused}. Using the bundled model ${basename(bundled)}.`,
        );
    }
    this.modelLabel = basename(folder);
    this.emit({ ...this.lastStatus, state: 'indexing', modelId: this.modelLabel });
    let embedder: Embedder;
    try {
      embedder = await createEmbedder({ modelDir: folder, workerPath, logger });
    } catch (error) {
      if (folder !== bundled) {
        notifier.warn(
          `The model folder "${config.model}" cannot be used (${describeError(error)}). ` +
            `Using the bundled model ${basename(bundled)} instead.`,
          error,
        );
        folder = bundled;
        this.modelLabel = basename(bundled);
        try {
          embedder = await createEmbedder({ modelDir: folder, workerPath, logger });
        } catch (bundledError) {
          embedder = this.unavailable(bundledError);
        }
      } else {
        embedder = this.unavailable(error);
      }
    }
    const storePath = this.options.storageDir
      ? join(this.options.storageDir, `passages-${embedder.modelId.replace(/[^\w.-]+/g, '_')}.ppidx`)
      : undefined;
    const index = new PassageIndex({
      source: this.source,
      embedder,
      parse: (bytes, uri, { maxBytes, signal }) =>
        parseDocumentWith(this.options.documents, bytes, uri, { maxBytes, signal }),
      // Bulk files (many patents in one file, or a .zip of them) stream from disk in the document worker.
      bulk: {
        detect: async (uri, signal) => {
          const path = localPath(uri);
          return path !== undefined && detectBulk(path, signal);
        },
        read: (uri, options) => {
          const path = localPath(uri);
          if (path === undefined) throw new Error(`${uri} is not a local file`);
          return this.options.documents.parseFile(path, options);
        },
      },
      logger,
      ...(storePath ? { storePath } : {}),
      roleOf: roleRule(config),
    });
    const statusListener = index.onDidChangeStatus((status) => this.emit(status));
    logger.info(
      `Model ${embedder.modelId} from ${folder}; hybrid dense weight ${index.fusion.denseWeight}` +
        `${embedder.hybridDenseWeight === undefined ? ' (global default)' : ' (model folder)'}; ` +
        `cache ${storePath ?? '(memory only)'}`,
    );
    return { embedder, index, modelLabel: this.modelLabel, statusListener };
  }

  private unavailable(error: unknown): Embedder {
    this.modelLabel = 'none (words only)';
    this.options.notifier.error(
      `The embedding model could not be loaded (${describeError(error)}). Searches use words only until it is fixed.`,
      error,
    );
    return new UnavailableEmbedder('unavailable', describeError(error));
  }

  private async runUpdate(changes: readonly FileChange[] | 'full', title: string): Promise<void> {
    const engine = this.engine;
    if (!engine || this.disposed) return;
    const controller = new AbortController();
    if (changes === 'full') {
      this.updateController?.abort();
      this.updateController = controller;
    }
    const started = performance.now();
    this.runningUpdates.add(controller);
    this.setIndexingContext();
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Patent Passages: ${title}` },
        async (progress, token) => {
          // Every way an update ends early (a newer re-index, a model change, deactivation, a progress
          // cancel) aborts this controller; the index hands its signal to each parse, which stops at once.
          const cancelled = token.onCancellationRequested(() => controller.abort());
          const result = await engine.index
            .update(changes, {
              signal: controller.signal,
              progress: (p) => progress.report({ message: `${p.message} (${p.done}/${p.total})` }),
            })
            .finally(() => cancelled.dispose());
          this.options.logger.info(
            `${title}: ${result.filesRead} files read, ${result.filesRemoved} removed, ` +
              `${result.paragraphsEmbedded} paragraphs embedded in ${((performance.now() - started) / 1000).toFixed(1)} s` +
              (result.cancelled ? ' (cancelled)' : ''),
          );
        },
      );
    } catch (error) {
      if (controller.signal.aborted) return;
      this.options.notifier.error(`Indexing failed: ${describeError(error)}`, error);
    } finally {
      if (this.updateController === controller) this.updateController = undefined;
      this.runningUpdates.delete(controller);
      this.setIndexingContext();
    }
  }

  /** `patentPassages.indexing` shows "Cancel Indexing" (palette, sidebar title) only while it can act. */
  private setIndexingContext(): void {
    const indexing = this.runningUpdates.size > 0;
    if (indexing === this.indexingContext) return;
    this.indexingContext = indexing;
    void vscode.commands.executeCommand('setContext', 'patentPassages.indexing', indexing);
  }

  // ---- keeping the index current --------------------------------------------------------------------

  private watch(): void {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const queue = (kind: 'created' | 'changed' | 'deleted') => (uri: vscode.Uri) => {
      // A deleted path may be a folder holding indexed documents (see expandFolders): keep those too.
      if (kind !== 'deleted' && !this.source.inScope(uri)) return;
      if (kind === 'deleted' && !vscode.workspace.getWorkspaceFolder(uri)) return;
      this.enqueue({ kind, uri: sourceKey(uri) });
    };
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate(queue('created')),
      watcher.onDidChange(queue('changed')),
      watcher.onDidDelete(queue('deleted')),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const { oldUri, newUri } of e.files)
          this.enqueue({ kind: 'renamed', oldUri: sourceKey(oldUri), uri: sourceKey(newUri) });
      }),
      // Unsaved edits count: the index reads an open editor's text instead of the file.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0 || !this.source.inScope(e.document.uri)) return;
        const key = sourceKey(e.document.uri);
        const timer = this.editTimers.get(key);
        if (timer) clearTimeout(timer);
        this.editTimers.set(
          key,
          setTimeout(() => {
            this.editTimers.delete(key);
            this.enqueue({ kind: 'changed', uri: key });
          }, 1500),
        );
      }),
      // Closing an editor without saving: the file on disk is the truth again.
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.source.inScope(d.uri)) this.enqueue({ kind: 'changed', uri: sourceKey(d.uri) });
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(
        () => void this.ready().then(() => this.runUpdate('full', 'Indexing the new folders')),
      ),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('patentPassages.model')) {
          void this.restart().catch((error: unknown) =>
            this.options.notifier.error(`Switching the model failed: ${describeError(error)}`, error),
          );
        } else if (
          ['include', 'exclude', 'specification'].some((k) =>
            e.affectsConfiguration(`patentPassages.${k}`),
          ) ||
          e.affectsConfiguration('files.exclude')
        ) {
          if (e.affectsConfiguration('patentPassages.specification')) void this.restart();
          else void this.reindex();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        // A workspace-level model setting, or a user-level one refused in Restricted Mode (relative, or
        // inside the workspace), becomes usable once the workspace is trusted.
        if (currentConfig().model) void this.restart();
      }),
    );
  }

  private enqueue(change: FileChange): void {
    this.pending.push(change);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const changes = this.pending;
      this.pending = [];
      if (this.engine) void this.runUpdate(this.expandFolders(changes), 'Updating the index');
    }, 400);
  }

  /**
   * Watchers report a deleted or renamed *folder* once, for the folder: turn that into one change per
   * indexed document under it, which is what the index understands.
   */
  private expandFolders(changes: readonly FileChange[]): FileChange[] {
    const indexed = this.engine?.index.indexedDocuments().map((d) => d.uri) ?? [];
    const known = new Set(indexed);
    const under = (folder: string) =>
      indexed.filter((uri) => uri.startsWith(folder.endsWith('/') ? folder : `${folder}/`));
    return changes.flatMap((change): FileChange[] => {
      if (change.kind === 'deleted' && !known.has(change.uri)) {
        const children = under(change.uri);
        return children.length > 0 ? children.map((uri) => ({ kind: 'deleted', uri })) : [change];
      }
      if (change.kind === 'renamed' && !known.has(change.oldUri)) {
        const children = under(change.oldUri);
        if (children.length > 0) {
          return children.map((oldUri) => ({
            kind: 'renamed',
            oldUri,
            uri: change.uri + oldUri.slice(change.oldUri.length),
          }));
        }
      }
      return [change];
    });
  }

  private emit(status: IndexStatus): void {
    this.lastStatus = status;
    this.renderStatusBar();
    for (const listener of this.listeners) listener(this.status());
  }

  private renderStatusBar(): void {
    const s = this.statusView();
    const counts = `${s.documents} documents, ${s.paragraphs.toLocaleString('en-US')} paragraphs`;
    if (this.deferredReason) this.statusBar.text = '$(database) Passages: not indexed';
    else if (s.state === 'starting') this.statusBar.text = '$(sync~spin) Passages: starting';
    else if (s.state === 'indexing') {
      this.statusBar.text = s.progress
        ? `$(sync~spin) Passages: ${s.progress.done}/${s.progress.total}`
        : '$(sync~spin) Passages: indexing';
    } else if (s.state === 'error') this.statusBar.text = '$(warning) Passages';
    else this.statusBar.text = `$(database) Passages: ${s.documents}`;
    this.statusBar.tooltip = new vscode.MarkdownString(
      `**Patent Passages**\n\n${counts}\n\nModel: ${s.model}${s.message ? `\n\n${s.message}` : ''}\n\nClick to open the sidebar.`,
    );
  }

  private async disposeEngine(engine: Engine): Promise<void> {
    engine.statusListener.dispose();
    await engine.index.dispose();
    await engine.embedder.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.updateController?.abort();
    for (const controller of this.runningUpdates) controller.abort();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const timer of this.editTimers.values()) clearTimeout(timer);
    for (const s of this.subscriptions) s.dispose();
    this.statusBar.dispose();
    this.listeners.clear();
    const engine = this.engine;
    this.engine = undefined;
    if (engine) {
      void this.disposeEngine(engine).catch((error: unknown) =>
        this.options.logger.warn('Closing the index failed', error),
      );
    }
  }
}

/** The role rule: `patentPassages.specification` globs when set, else the index's default rule. */
function roleRule(config: PatentPassagesConfig): (document: DocumentInfo) => 'specification' | 'prior-art' {
  if (config.specification.length === 0) return defaultRoleOf;
  const isSpecification = picomatch(config.specification, { dot: true });
  return (document) => {
    const uri = vscode.Uri.parse(document.uri, true);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const relative = folder ? vscode.workspace.asRelativePath(uri, false) : uri.path;
    return isSpecification(relative) ? 'specification' : 'prior-art';
  };
}

/** The file-system path of a `file:` URI string (bulk files are streamed from disk), else undefined. */
function localPath(uri: string): string | undefined {
  const parsed = vscode.Uri.parse(uri, true);
  return parsed.scheme === 'file' ? parsed.fsPath : undefined;
}
