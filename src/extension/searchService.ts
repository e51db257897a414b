/**
 * Runs searches for the UI with the current settings and keeps recent answers, so the hover and the
 * CodeLens can show scores without waiting (and start a search when there is none yet).
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { IndexStatus, SearchQuery, SearchResponse } from '../core/search/types';
import type { SettingsView } from '../shared/protocol';
import type { ResolvedQuery } from './claims';
import type { PatentPassagesConfig } from './config';
import type { SearchOutcome } from './resultItems';

export { fileNameOf, toResultItems, toResultsView, type SearchOutcome } from './resultItems';

/** What the UI needs from the passage index. */
export interface PassageSearchPort {
  search(query: SearchQuery): Promise<SearchResponse>;
  status(): IndexStatus;
  onDidChangeStatus(listener: (status: IndexStatus) => void): { dispose(): void };
}

export function settingsOf(config: PatentPassagesConfig): SettingsView {
  return {
    mode: config.mode,
    topK: config.topK,
    scope: config.scope,
    minScore: config.minScore,
    elementMatching: config.elementMatching,
  };
}

/** A hit's URI as a vscode.Uri (the index may hand out URIs or plain paths). */
export function hitUri(uri: string): vscode.Uri {
  if (/^[a-zA-Z]:[\\/]/.test(uri) || uri.startsWith('/')) return vscode.Uri.file(uri);
  return vscode.Uri.parse(uri, true);
}

export class SearchService implements vscode.Disposable {
  private readonly cache = new Map<string, SearchOutcome>();
  private readonly inflight = new Map<string, Promise<SearchOutcome>>();
  private readonly updated = new vscode.EventEmitter<void>();
  /** Fires when a background search finished or the cache was invalidated (hover, CodeLens). */
  readonly onDidUpdate = this.updated.event;
  private readonly invalidated = new vscode.EventEmitter<void>();
  /** Fires when the indexed documents changed, so shown results may be stale (panel, sidebar). */
  readonly onDidInvalidate = this.invalidated.event;
  private readonly statusListener: { dispose(): void };
  private lastState: IndexStatus['state'] | undefined;
  private lastModel: string | undefined;

  constructor(
    private readonly index: PassageSearchPort,
    private readonly config: () => PatentPassagesConfig,
    private readonly logger: Logger,
  ) {
    // Answers become stale when an index update ends (documents added, edited or removed) or the model changes.
    this.statusListener = index.onDidChangeStatus((status) => {
      const finished = this.lastState === 'indexing' && status.state !== 'indexing';
      const modelChanged = this.lastModel !== undefined && status.modelId !== this.lastModel;
      this.lastState = status.state;
      this.lastModel = status.modelId;
      if (finished || modelChanged) this.invalidate();
    });
  }

  private keyOf(query: ResolvedQuery, settings: SettingsView, elements = false): string {
    const { feedback, documentEvidence } = this.config();
    return (
      `${settings.mode}|${settings.topK}|${settings.minScore}|${settings.scope}|${elements}|` +
      `${feedback}|${documentEvidence}|${query.key}`
    );
  }

  private toSearchQuery(
    query: ResolvedQuery,
    settings: SettingsView,
    signal: AbortSignal | undefined,
    elements: boolean,
  ): SearchQuery {
    const { feedback, documentEvidence } = this.config();
    const q: SearchQuery = {
      text: query.text,
      mode: settings.mode,
      topK: settings.topK,
      minScore: settings.minScore,
      feedback,
      documentEvidence,
    };
    if (signal) q.signal = signal;
    if (elements) q.elements = true;
    if (settings.scope === 'priorArt') q.role = 'prior-art';
    else if (settings.scope === 'specification') q.role = 'specification';
    else if (settings.scope === 'folder') {
      const folder = vscode.workspace.getWorkspaceFolder(hitUri(query.uri));
      if (folder) q.folder = folder.uri.toString();
    }
    return q;
  }

  /**
   * Searches now (cancellable) and remembers the answer. `elements`: also score each claim element against
   * each passage (the panel, when `patentPassages.elementMatching` is on; one embedding per element).
   */
  async search(query: ResolvedQuery, signal?: AbortSignal, elements = false): Promise<SearchOutcome> {
    const settings = settingsOf(this.config());
    const key = this.keyOf(query, settings, elements);
    const started = performance.now();
    const response = await this.index.search(this.toSearchQuery(query, settings, signal, elements));
    const outcome: SearchOutcome = {
      query,
      settings,
      hits: response.results,
      timings: response.timings,
      elapsedMs: performance.now() - started,
      mode: response.mode ?? settings.mode,
    };
    if (response.notice) outcome.notice = response.notice;
    if (response.expansionTerms) outcome.expansionTerms = response.expansionTerms;
    this.remember(key, outcome);
    this.logger.debug(
      `Search "${query.view.title}" (${settings.mode}, top ${settings.topK}): ${outcome.hits.length} hits in ` +
        `${outcome.elapsedMs.toFixed(0)} ms`,
    );
    return outcome;
  }

  /** The remembered answer for this query under the current settings, if any. */
  peek(query: ResolvedQuery): SearchOutcome | undefined {
    return this.cache.get(this.keyOf(query, settingsOf(this.config())));
  }

  /** Starts a background search for this query unless one is remembered or running. */
  ensure(query: ResolvedQuery): void {
    const key = this.keyOf(query, settingsOf(this.config()));
    if (this.cache.has(key) || this.inflight.has(key)) return;
    const running = this.search(query).finally(() => this.inflight.delete(key));
    this.inflight.set(key, running);
    running.then(
      () => this.updated.fire(),
      (error: unknown) => this.logger.warn(`Background search for ${query.view.title} failed`, error),
    );
  }

  invalidate(): void {
    this.cache.clear();
    this.invalidated.fire();
    this.updated.fire();
  }

  private remember(key: string, outcome: SearchOutcome): void {
    this.cache.delete(key);
    this.cache.set(key, outcome);
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value as string);
  }

  dispose(): void {
    this.statusListener.dispose();
    this.updated.dispose();
    this.invalidated.dispose();
    this.cache.clear();
  }
}
