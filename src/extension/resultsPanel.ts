/**
 * The results panel ("Similar passages"): one panel, reused, beside the editor. Restored after a reload
 * by the serializer from the state the webview saved.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { HostMessage, ResultsView, StatusView, WebviewMessage } from '../shared/protocol';
import { parsePersistedState } from '../shared/protocol';
import type { ResolvedQuery } from './claims';
import { currentConfig, updateSetting } from './config';
import { isAbortError } from './cancellation';
import { describeError } from './notifier';
import type { PassageActions } from './passageActions';
import { RenderTimer } from './renderTimer';
import { settingsOf, toResultsView, type SearchService } from './searchService';
import { WebviewChannel } from './webviewChannel';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'patentPassages.results';

export class ResultsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private channel: WebviewChannel | undefined;
  private results: ResultsView | undefined;
  private searching: { searchId: number; query: ResolvedQuery } | undefined;
  private controller: AbortController | undefined;
  private nextSearchId = 1;
  /** The query on screen, searched again when the index or the search settings change. */
  private lastQuery: ResolvedQuery | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Where the claim's editor is, so opened passages go beside the panel, not over it. */
  private sourceColumn: vscode.ViewColumn | undefined;
  private readonly renderTimer: RenderTimer;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: SearchService,
    private readonly actions: PassageActions,
    private readonly status: () => StatusView,
    private readonly logger: Logger,
  ) {
    this.renderTimer = new RenderTimer(
      logger,
      (count, totalMs, searchMs) =>
        `Panel: ${count} passages on screen ${totalMs.toFixed(0)} ms after the command ` +
        `(search ${searchMs.toFixed(0)} ms)`,
    );
    const refresh = (): void => {
      if (!this.panel || !this.lastQuery || this.searching) return;
      void this.show(this.lastQuery, this.sourceColumn, performance.now(), false).catch((error: unknown) =>
        this.logger.warn('Refreshing the results panel failed', error),
      );
    };
    this.subscriptions.push(
      service.onDidInvalidate(refresh),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('patentPassages')) return;
        this.channel?.post({ type: 'settings', settings: settingsOf(currentConfig()) });
        const keys = [
          'mode',
          'topK',
          'minScore',
          'scope',
          'elementMatching',
          'search.feedback',
          'search.documentEvidence',
        ];
        if (keys.some((k) => e.affectsConfiguration(`patentPassages.${k}`))) refresh();
      }),
    );
  }

  /** The results on screen (for commands such as export). */
  get current(): ResultsView | undefined {
    return this.results;
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens (or reveals) the panel and searches for the query. */
  async show(
    query: ResolvedQuery,
    sourceColumn: vscode.ViewColumn | undefined,
    startedAt = performance.now(),
    reveal = true,
  ): Promise<void> {
    this.sourceColumn = sourceColumn;
    this.lastQuery = query;
    this.ensurePanel(reveal);
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const searchId = this.nextSearchId++;
    this.searching = { searchId, query };
    this.panel!.title = `Passages · ${query.view.title}`;
    this.channel?.post({ type: 'searching', searchId, query: query.view });
    try {
      const outcome = await vscode.window.withProgress(
        { location: { viewId: 'patentPassages.sidebar' }, title: 'Searching similar passages' },
        () => this.service.search(query, controller.signal, currentConfig().elementMatching),
      );
      if (controller.signal.aborted) return;
      this.results = toResultsView(searchId, outcome);
      this.searching = undefined;
      this.renderTimer.start(searchId, startedAt, outcome.elapsedMs);
      this.channel?.post({ type: 'results', results: this.results });
    } catch (error) {
      if (controller.signal.aborted || isAbortError(error)) return;
      this.searching = undefined;
      this.logger.error(`Search for ${query.view.title} failed`, error);
      this.channel?.post({
        type: 'searchFailed',
        searchId,
        message: `The search failed: ${describeError(error)}`,
      });
      throw error;
    }
  }

  /** Shows results already computed elsewhere (the sidebar's "open in panel"). */
  showResults(results: ResultsView, sourceColumn: vscode.ViewColumn | undefined): void {
    this.sourceColumn = sourceColumn;
    this.lastQuery = undefined;
    this.results = { ...results, searchId: this.nextSearchId++ };
    this.ensurePanel(true);
    this.panel!.title = `Passages · ${results.query.title}`;
    this.channel?.post({ type: 'results', results: this.results });
  }

  /** Re-creates the panel after a window reload (called by the serializer). */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const persisted = parsePersistedState(state);
    this.results = persisted?.results;
    if (this.results) this.nextSearchId = this.results.searchId + 1;
    this.attach(panel);
  }

  private ensurePanel(reveal: boolean): void {
    if (this.panel) {
      if (reveal) this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Similar passages',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(this.extensionUri), retainContextWhenHidden: false },
    );
    this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity-bar.svg');
    panel.webview.options = webviewOptions(this.extensionUri);
    if (this.results) panel.title = `Passages · ${this.results.query.title}`;
    const channel = new WebviewChannel(
      panel.webview,
      this.logger,
      () => this.initMessages(),
      (m) => this.handle(m),
    );
    this.channel = channel;
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'panel');
    const subscriptions = [
      channel,
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) channel.reset();
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subscriptions) s.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.channel = undefined;
        this.controller?.abort();
      }
    });
  }

  private initMessages(): HostMessage[] {
    const messages: HostMessage[] = [
      {
        type: 'init',
        view: 'panel',
        settings: settingsOf(currentConfig()),
        status: this.status(),
        results: this.results,
      },
    ];
    if (this.searching) {
      messages.push({
        type: 'searching',
        searchId: this.searching.searchId,
        query: this.searching.query.view,
      });
    }
    return messages;
  }

  private async handle(message: WebviewMessage): Promise<void> {
    if (await this.actions.handleResultMessage(message, this.results, this.sourceColumn)) return;
    switch (message.type) {
      case 'setElementMatching':
        await updateSetting('elementMatching', message.enabled);
        break;
      case 'rendered':
        this.renderTimer.rendered(message.searchId, message.count);
        break;
      default:
        break;
    }
  }

  /** The index status changed: nothing to show in the panel itself. */
  postStatus(status: StatusView): void {
    this.channel?.post({ type: 'status', status });
  }

  dispose(): void {
    this.controller?.abort();
    for (const s of this.subscriptions) s.dispose();
    this.panel?.dispose();
  }
}
