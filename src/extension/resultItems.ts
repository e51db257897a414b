/**
 * Search answers → the view model the webviews and the hover render (citation keys, labels, highlight terms,
 * why each passage ranks). Kept free of the `vscode` module so it is unit-tested in plain Node.
 */
import type { PassageHit } from '../core/search/types';
import { assignCitationKeys, formatPublicationNumber, paragraphLabel } from '../shared/citations';
import { sharedWords } from '../shared/highlight';
import type { ResultItem, ResultsView, SettingsView } from '../shared/protocol';
import type { ResolvedQuery } from './claims';

export interface SearchOutcome {
  query: ResolvedQuery;
  settings: SettingsView;
  hits: PassageHit[];
  timings: Record<string, number>;
  elapsedMs: number;
  /** The mode that actually ran (a dense or hybrid search falls back to lexical if the model fails). */
  mode: SettingsView['mode'];
  /** Why the results may be partial or degraded, phrased for the user. */
  notice?: string;
  /** The words feedback added to the claim (most weight first), where feedback ran. */
  expansionTerms?: string[];
}

/** The file name at the end of a URI or path. */
export function fileNameOf(uri: string): string {
  return decodeURIComponent(uri.split(/[\\/]/).pop() ?? uri);
}

/** Hits → the view model the webviews render (citation keys, labels, highlight terms, explanation). */
export function toResultItems(hits: readonly PassageHit[], queryText: string): ResultItem[] {
  const keys = assignCitationKeys(hits);
  return hits.map((hit, i) => {
    const document = hit.documentKey ?? hit.uri;
    const item: ResultItem = {
      id: `${document}#${hit.paragraphId}`,
      rank: i + 1,
      score: hit.score,
      uri: hit.uri,
      fileName: fileNameOf(hit.uri),
      documentLabel: formatPublicationNumber(hit.documentLabel),
      citationKey: keys.get(document) ?? '?',
      role: hit.role,
      paragraphId: hit.paragraphId,
      paragraphLabel: paragraphLabel(hit.paragraphNumber, hit.paragraphId),
      text: hit.text,
      matchedTerms: hit.matchedTerms.length > 0 ? hit.matchedTerms : sharedWords(queryText, hit.text),
      ...(hit.elementMatches ? { elementMatches: hit.elementMatches } : {}),
      range: {
        startLine: hit.range.start.line,
        startCharacter: hit.range.start.character,
        endLine: hit.range.end.line,
        endCharacter: hit.range.end.character,
      },
      documentKey: document,
    };
    if (hit.feedbackTerms && hit.feedbackTerms.length > 0) item.feedbackTerms = [...hit.feedbackTerms];
    if (hit.documentScore !== undefined) item.documentScore = hit.documentScore;
    if (hit.paragraphScore !== undefined) item.paragraphScore = hit.paragraphScore;
    return item;
  });
}

export function toResultsView(searchId: number, outcome: SearchOutcome): ResultsView {
  const items = toResultItems(outcome.hits, outcome.query.text);
  const view: ResultsView = {
    searchId,
    query: outcome.query.view,
    items,
    mode: outcome.mode,
    topK: outcome.settings.topK,
    elapsedMs: outcome.elapsedMs,
  };
  if (outcome.notice) view.notice = outcome.notice;
  if (outcome.expansionTerms && outcome.expansionTerms.length > 0) {
    view.expansionTerms = [...outcome.expansionTerms];
  }
  if (items.length === 0) {
    view.notice =
      outcome.settings.minScore > 0
        ? `No passage scored ${outcome.settings.minScore} or more. Lower "Patent Passages: Min Score" to see weaker matches.`
        : 'No passages found. Check that the workspace holds description paragraphs the index can read.';
  }
  return view;
}
