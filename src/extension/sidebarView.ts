/**
 * The sidebar view: follows the claim under the cursor. When the cursor settles (300 ms) in another claim
 * it searches again, cancelling the previous search; the old results stay on screen until the new ones
 * arrive. Also shows the index status and the search settings.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { HostMessage, ResultsView, StatusView, WebviewMessage } from '../shared/protocol';
import { resolveQuery, type DocumentModels, type ResolvedQuery } from './claims';
import { currentConfig, updateSetting } from './config';
import { isAbortError } from './cancellation';
import { describeError } from './notifier';
import type { PassageActions } from './passageActions';
import { RenderTimer } from './renderTimer';
import { settingsOf, toResultsView, type SearchService } from './searchService';
import { WebviewChannel } from './webviewChannel';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const SIDEBAR_VIEW_ID = 'patentPassages.sidebar';
const DEBOUNCE_MS = 300;

export interface SidebarDeps {
  extensionUri: vscode.Uri;
  service: SearchService;
  models: DocumentModels;
  actions: PassageActions;
  status: () => StatusView;
  logger: Logger;
  openInPanel: (results: ResultsView, column: vscode.ViewColumn | undefined) => void;
  reindex: () => void;
}

export class SidebarView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private channel: WebviewChannel | undefined;
  private results: ResultsView | undefined;
  private idleReason = 'Place the cursor in a claim to see the passages nearest to it.';
  private currentKey: string | undefined;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextSearchId = 1;
  /** Counts `update` calls: one overtaken by a newer while it awaited the claim drops its answer. */
  private updates = 0;
  private lastEditor: vscode.TextEditor | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly renderTimer: RenderTimer;

  constructor(private readonly deps: SidebarDeps) {
    this.renderTimer = new RenderTimer(
      deps.logger,
      (count, totalMs, searchMs) =>
        `Sidebar: ${count} passages on screen ${totalMs.toFixed(0)} ms after the cursor moved ` +
        `(debounce ${DEBOUNCE_MS} ms, search ${searchMs.toFixed(0)} ms)`,
    );
    this.subscriptions.push(
      vscode.window.onDidChangeTextEditorSelection((e) => this.schedule(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.schedule(editor);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('patentPassages')) return;
        this.channel?.post({ type: 'settings', settings: settingsOf(currentConfig()) });
        if (
          [
            'mode',
            'topK',
            'minScore',
            'scope',
            'dependentClaimContext',
            'search.feedback',
            'search.documentEvidence',
          ].some((k) => e.affectsConfiguration(`patentPassages.${k}`))
        ) {
          this.refresh();
        }
      }),
      deps.service.onDidInvalidate(() => {
        // The index changed under us (re-indexed, documents added): search again for the same claim.
        if (this.view?.visible && this.currentKey && !this.controller) this.refresh();
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.deps.extensionUri);
    const channel = new WebviewChannel(
      view.webview,
      this.deps.logger,
      () => this.initMessages(),
      (m) => this.handle(m),
    );
    this.channel = channel;
    view.webview.html = webviewHtml(view.webview, this.deps.extensionUri, 'sidebar');
    const subscriptions = [
      channel,
      view.onDidChangeVisibility(() => {
        if (!view.visible) channel.reset();
        else this.refresh();
      }),
    ];
    view.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.view === view) {
        this.view = undefined;
        this.channel = undefined;
      }
    });
    this.refresh();
  }

  private initMessages(): HostMessage[] {
    return [
      {
        type: 'init',
        view: 'sidebar',
        settings: settingsOf(currentConfig()),
        status: this.deps.status(),
        results: this.results,
        idle: this.idleReason,
      },
    ];
  }

  postStatus(status: StatusView): void {
    this.channel?.post({ type: 'status', status });
  }

  /** Search again for the claim under the cursor, even if it is the same claim. */
  refresh(): void {
    this.currentKey = undefined;
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    if (editor) this.schedule(editor, 0);
  }

  private schedule(editor: vscode.TextEditor, delay = DEBOUNCE_MS): void {
    if (editor.document.uri.scheme === 'output' || editor.document.uri.scheme === 'vscode-userdata') return;
    this.lastEditor = editor;
    if (!this.view?.visible || !currentConfig().followCursor) return;
    const movedAt = performance.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update(editor, movedAt);
    }, delay);
  }

  private async update(editor: vscode.TextEditor, movedAt: number): Promise<void> {
    const config = currentConfig();
    const update = ++this.updates;
    let query: ResolvedQuery | undefined;
    try {
      query = await resolveQuery(this.deps.models, editor, config.dependentClaimContext, false);
    } catch (error) {
      this.deps.logger.warn('Could not find the claim under the cursor', error);
    }
    if (update !== this.updates) return;
    if (!query) {
      // Not in a claim: keep what is shown (the results are still worth reading).
      this.idleReason = 'Place the cursor in a claim to see the passages nearest to it.';
      this.channel?.post({ type: 'idle', reason: this.idleReason });
      return;
    }
    const key = `${query.uri}\u0000${query.key}`;
    if (key === this.currentKey) return;
    this.currentKey = key;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const searchId = this.nextSearchId++;
    this.channel?.post({ type: 'searching', searchId, query: query.view });
    try {
      const outcome = await this.deps.service.search(query, controller.signal);
      if (controller.signal.aborted) return;
      this.results = toResultsView(searchId, outcome);
      this.renderTimer.start(searchId, movedAt, outcome.elapsedMs);
      this.channel?.post({ type: 'results', results: this.results });
    } catch (error) {
      if (controller.signal.aborted || isAbortError(error)) return;
      this.currentKey = undefined;
      this.deps.logger.error(`Sidebar search for ${query.view.title} failed`, error);
      this.channel?.post({
        type: 'searchFailed',
        searchId,
        message: `The search failed: ${describeError(error)}`,
      });
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  private async handle(message: WebviewMessage): Promise<void> {
    if (await this.deps.actions.handleResultMessage(message, this.results, this.lastEditor?.viewColumn))
      return;
    switch (message.type) {
      case 'openPanel':
        if (this.results) this.deps.openInPanel(this.results, this.lastEditor?.viewColumn);
        break;
      case 'reindex':
        this.deps.reindex();
        break;
      case 'setMode':
        await updateSetting('mode', message.mode);
        break;
      case 'setTopK':
        await updateSetting('topK', message.topK);
        break;
      case 'setScope':
        await updateSetting('scope', message.scope);
        break;
      case 'rendered':
        this.renderTimer.rendered(message.searchId, message.count);
        break;
      default:
        break;
    }
  }

  /** The results shown, for commands (export, copy). */
  get current(): ResultsView | undefined {
    return this.results;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    for (const s of this.subscriptions) s.dispose();
  }
}
