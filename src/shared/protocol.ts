/**
 * The message protocol between the extension host and its webviews (results panel and sidebar view).
 * Both sides import this one file; the webview never sees core types, only these view models.
 *
 * Flow: the webview posts `ready` once its script runs; only then does the host post anything (an `init`
 * with the full state first). The webview keeps the last `init`/`results` in `setState`, so a reloaded
 * webview shows its results again before the host answers.
 */

export type SearchModeName = 'hybrid' | 'dense' | 'lexical';
export const SEARCH_MODES: readonly SearchModeName[] = ['hybrid', 'dense', 'lexical'];

/** Which documents a search looks at. `folder`: only the workspace folder the claim is in (multi-root). */
export type ScopeName = 'all' | 'priorArt' | 'specification' | 'folder';
export const SCOPES: readonly ScopeName[] = ['all', 'priorArt', 'specification', 'folder'];

export const TOP_K_CHOICES: readonly number[] = [5, 10, 20, 50];

/** A zero-based line/character range in a document, as an editor counts it. */
export interface RangeView {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

/** The text that was searched for: a claim (with its number) or a selection. */
export interface QueryView {
  /** "Claim 1", "Claim 3 (with claim 1)" or "Selection". */
  title: string;
  /** Where the query came from, for display: a file name. */
  source: string;
  /** The text shown as the query (the claim as written). */
  text: string;
  uri?: string;
  claimNumber?: number;
  dependsOn?: number[];
}

export interface ResultItem {
  /** Unique within one result list: `<uri>#<paragraphId>`. */
  id: string;
  /** 1-based rank. */
  rank: number;
  /** The similarity score in [0, 1] (the index's single displayed number). */
  score: number;
  uri: string;
  /** Short file name, for tooltips. */
  fileName: string;
  /** "US 8,926,509 B2" where the publication number is known, else the file name. */
  documentLabel: string;
  /** "D1", "D2", … for prior art in order of first appearance; "Spec." for the drafter's own text. */
  citationKey: string;
  role: 'specification' | 'prior-art';
  paragraphId: string;
  /** "[0012]" where the document prints a number, else "paragraph 5" (its position). */
  paragraphLabel: string;
  text: string;
  /** Words of `text` shared with the query, to highlight. */
  matchedTerms: string[];
  elementMatches?: { element: string; score: number }[];
  range: RangeView;
  /**
   * The document this passage belongs to (`documentKey ?? uri` of the hit: a bulk file holds several):
   * what results are grouped and filtered by. Absent in states saved before it existed; then the `uri`.
   */
  documentKey?: string;
  /** Words of `text` that feedback added to the claim (not in the claim itself), to mark apart. */
  feedbackTerms?: string[];
  /** The document's match (its best paragraph's own score), where document evidence ran. */
  documentScore?: number;
  /** The paragraph's own score before the document's evidence was mixed in, where document evidence ran. */
  paragraphScore?: number;
}

export interface ResultsView {
  /** Increases with every search a host starts; `rendered` echoes it. */
  searchId: number;
  query: QueryView;
  items: ResultItem[];
  mode: SearchModeName;
  topK: number;
  /** Milliseconds the search took in the host (embedding + index). */
  elapsedMs?: number;
  /** Shown instead of (or above) the list, e.g. why nothing was found. */
  notice?: string;
  /** The words feedback added to the claim (most weight first), where feedback ran. */
  expansionTerms?: string[];
}

export interface StatusView {
  state: 'starting' | 'idle' | 'indexing' | 'error';
  documents: number;
  paragraphs: number;
  /** The model in use, for display (folder name). */
  model: string;
  progress?: { done: number; total: number };
  message?: string;
}

export interface SettingsView {
  mode: SearchModeName;
  topK: number;
  scope: ScopeName;
  minScore: number;
  /** The panel also scores each claim element against each passage. */
  elementMatching: boolean;
}

export type ViewKind = 'panel' | 'sidebar';

/** Host → webview. */
export type HostMessage =
  | {
      type: 'init';
      view: ViewKind;
      settings: SettingsView;
      status: StatusView;
      results?: ResultsView;
      /** Sidebar: why there is nothing to show (cursor not in a claim, …). */
      idle?: string;
    }
  | { type: 'searching'; searchId: number; query: QueryView }
  | { type: 'results'; results: ResultsView }
  | { type: 'searchFailed'; searchId: number; message: string }
  | { type: 'idle'; reason: string }
  | { type: 'status'; status: StatusView }
  | { type: 'settings'; settings: SettingsView };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'open'; itemId: string }
  | { type: 'copyCitation'; itemId: string }
  | { type: 'copyAllCitations' }
  | { type: 'export' }
  | { type: 'reindex' }
  | { type: 'setMode'; mode: SearchModeName }
  | { type: 'setTopK'; topK: number }
  | { type: 'setScope'; scope: ScopeName }
  | { type: 'setElementMatching'; enabled: boolean }
  | { type: 'openPanel' }
  | { type: 'showLog' }
  | { type: 'rendered'; searchId: number; count: number };

/** How the panel lays out its results: the reader's choice, kept in the panel's state across reloads. */
export interface ResultsLayout {
  /** One collapsible group per document, documents ordered by their best hit. */
  groupByDocument: boolean;
  /** Documents (`documentKey`) whose group is collapsed. */
  collapsed: string[];
  /** Show only this document's passages (`documentKey`); absent: all documents. */
  documentFilter?: string;
}

export const DEFAULT_LAYOUT: ResultsLayout = { groupByDocument: false, collapsed: [] };

/** What a webview keeps in `setState` to restore itself after a reload (and what the serializer gets). */
export interface PersistedState {
  view: ViewKind;
  results?: ResultsView;
  settings?: SettingsView;
  /** The panel's layout choice (absent: `DEFAULT_LAYOUT`). */
  layout?: ResultsLayout;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** Checks a message from a webview before the host acts on it: webview content is not trusted input. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'copyAllCitations':
    case 'export':
    case 'reindex':
    case 'openPanel':
    case 'showLog':
      return { type: m.type };
    case 'open':
    case 'copyCitation':
      return isString(m.itemId) ? { type: m.type, itemId: m.itemId } : undefined;
    case 'setMode':
      return SEARCH_MODES.includes(m.mode as SearchModeName)
        ? { type: 'setMode', mode: m.mode as SearchModeName }
        : undefined;
    case 'setTopK':
      return typeof m.topK === 'number' && Number.isInteger(m.topK) && m.topK >= 1 && m.topK <= 200
        ? { type: 'setTopK', topK: m.topK }
        : undefined;
    case 'setScope':
      return SCOPES.includes(m.scope as ScopeName)
        ? { type: 'setScope', scope: m.scope as ScopeName }
        : undefined;
    case 'setElementMatching':
      return typeof m.enabled === 'boolean' ? { type: 'setElementMatching', enabled: m.enabled } : undefined;
    case 'rendered':
      return typeof m.searchId === 'number' && typeof m.count === 'number'
        ? { type: 'rendered', searchId: m.searchId, count: m.count }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Checks a persisted webview state (from `getState` or a serializer) before using it: the state is written
 * by webview code, so it is untrusted input like a message. Every field of the results and settings is
 * checked (types, enumerations, ranges); anything malformed makes the whole state unusable (undefined), and
 * the view starts empty. What a restored result may then *do* (open a file) is checked again by the host.
 */
export function parsePersistedState(value: unknown): PersistedState | undefined {
  if (!isRecord(value)) return undefined;
  if (value.view !== 'panel' && value.view !== 'sidebar') return undefined;
  const results = value.results === undefined ? undefined : parseResultsView(value.results);
  const settings = value.settings === undefined ? undefined : parseSettingsView(value.settings);
  const layout = value.layout === undefined ? undefined : parseLayout(value.layout);
  if (results === null || settings === null || layout === null) return undefined;
  const state: PersistedState = { view: value.view, results, settings };
  if (layout) state.layout = layout;
  return state;
}

/** The most items a result list has (`topK` is at most 200). */
const MAX_ITEMS = 200;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isOptional = <T>(v: unknown, check: (v: unknown) => v is T): boolean => v === undefined || check(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function parseResultsView(value: unknown): ResultsView | null {
  if (!isRecord(value)) return null;
  const query = parseQueryView(value.query);
  if (
    !isCount(value.searchId) ||
    query === null ||
    !Array.isArray(value.items) ||
    value.items.length > MAX_ITEMS ||
    !SEARCH_MODES.includes(value.mode as SearchModeName) ||
    !isCount(value.topK) ||
    value.topK < 1 ||
    value.topK > MAX_ITEMS ||
    !isOptional(value.elapsedMs, isFiniteNumber) ||
    !isOptional(value.notice, isString) ||
    !isOptional(value.expansionTerms, isStringList)
  )
    return null;
  const items: ResultItem[] = [];
  for (const raw of value.items) {
    const item = parseResultItem(raw);
    if (item === null) return null;
    items.push(item);
  }
  const results: ResultsView = {
    searchId: value.searchId,
    query,
    items,
    mode: value.mode as SearchModeName,
    topK: value.topK,
  };
  if (value.elapsedMs !== undefined) results.elapsedMs = value.elapsedMs as number;
  if (value.notice !== undefined) results.notice = value.notice as string;
  if (value.expansionTerms !== undefined) results.expansionTerms = [...(value.expansionTerms as string[])];
  return results;
}

function parseQueryView(value: unknown): QueryView | null {
  if (
    !isRecord(value) ||
    !isString(value.title) ||
    !isString(value.source) ||
    !isString(value.text) ||
    !isOptional(value.uri, isString) ||
    !isOptional(value.claimNumber, isCount) ||
    !(value.dependsOn === undefined || (Array.isArray(value.dependsOn) && value.dependsOn.every(isCount)))
  )
    return null;
  const query: QueryView = { title: value.title, source: value.source, text: value.text };
  if (value.uri !== undefined) query.uri = value.uri as string;
  if (value.claimNumber !== undefined) query.claimNumber = value.claimNumber as number;
  if (value.dependsOn !== undefined) query.dependsOn = [...(value.dependsOn as number[])];
  return query;
}

function parseResultItem(value: unknown): ResultItem | null {
  if (!isRecord(value)) return null;
  const r = value.range;
  if (
    !isString(value.id) ||
    !isCount(value.rank) ||
    !isFiniteNumber(value.score) ||
    !isString(value.uri) ||
    !isString(value.fileName) ||
    !isString(value.documentLabel) ||
    !isString(value.citationKey) ||
    (value.role !== 'specification' && value.role !== 'prior-art') ||
    !isString(value.paragraphId) ||
    !isString(value.paragraphLabel) ||
    !isString(value.text) ||
    !isStringList(value.matchedTerms) ||
    !isRecord(r) ||
    !isCount(r.startLine) ||
    !isCount(r.startCharacter) ||
    !isCount(r.endLine) ||
    !isCount(r.endCharacter) ||
    !isOptional(value.documentKey, isString) ||
    !isOptional(value.feedbackTerms, isStringList) ||
    !isOptional(value.documentScore, isFiniteNumber) ||
    !isOptional(value.paragraphScore, isFiniteNumber)
  )
    return null;
  const item: ResultItem = {
    id: value.id,
    rank: value.rank,
    score: value.score,
    uri: value.uri,
    fileName: value.fileName,
    documentLabel: value.documentLabel,
    citationKey: value.citationKey,
    role: value.role,
    paragraphId: value.paragraphId,
    paragraphLabel: value.paragraphLabel,
    text: value.text,
    matchedTerms: [...value.matchedTerms],
    range: {
      startLine: r.startLine,
      startCharacter: r.startCharacter,
      endLine: r.endLine,
      endCharacter: r.endCharacter,
    },
  };
  if (value.elementMatches !== undefined) {
    if (
      !Array.isArray(value.elementMatches) ||
      !value.elementMatches.every((m) => isRecord(m) && isString(m.element) && isFiniteNumber(m.score))
    )
      return null;
    item.elementMatches = (value.elementMatches as { element: string; score: number }[]).map((m) => ({
      element: m.element,
      score: m.score,
    }));
  }
  if (value.documentKey !== undefined) item.documentKey = value.documentKey as string;
  if (value.feedbackTerms !== undefined) item.feedbackTerms = [...(value.feedbackTerms as string[])];
  if (value.documentScore !== undefined) item.documentScore = value.documentScore as number;
  if (value.paragraphScore !== undefined) item.paragraphScore = value.paragraphScore as number;
  return item;
}

function parseLayout(value: unknown): ResultsLayout | null {
  if (
    !isRecord(value) ||
    typeof value.groupByDocument !== 'boolean' ||
    !isStringList(value.collapsed) ||
    value.collapsed.length > MAX_ITEMS ||
    !isOptional(value.documentFilter, isString)
  )
    return null;
  const layout: ResultsLayout = { groupByDocument: value.groupByDocument, collapsed: [...value.collapsed] };
  if (value.documentFilter !== undefined) layout.documentFilter = value.documentFilter as string;
  return layout;
}

function parseSettingsView(value: unknown): SettingsView | null {
  if (
    !isRecord(value) ||
    !SEARCH_MODES.includes(value.mode as SearchModeName) ||
    !isCount(value.topK) ||
    value.topK < 1 ||
    value.topK > MAX_ITEMS ||
    !SCOPES.includes(value.scope as ScopeName) ||
    !isFiniteNumber(value.minScore) ||
    typeof value.elementMatching !== 'boolean'
  )
    return null;
  return {
    mode: value.mode as SearchModeName,
    topK: value.topK,
    scope: value.scope as ScopeName,
    minScore: value.minScore,
    elementMatching: value.elementMatching,
  };
}
