/**
 * Results by document: the best document matters as much as the best paragraph. Pure functions over the
 * result items, used by the panel (group headers, the document filter) and unit-tested.
 */
import type { ResultItem, ResultsLayout } from './protocol';

/** The document a result belongs to (states saved before `documentKey` existed: its file). */
export const documentOf = (item: Pick<ResultItem, 'documentKey' | 'uri'>): string =>
  item.documentKey ?? item.uri;

export interface DocumentGroup {
  /** `documentOf` its items. */
  key: string;
  citationKey: string;
  documentLabel: string;
  role: ResultItem['role'];
  /** The best score among its items (the index's displayed number, not recomputed). */
  bestScore: number;
  /** Its items, in rank order. */
  items: ResultItem[];
}

/** One group per document, documents ordered by their best hit (score, then rank). */
export function groupByDocument(items: readonly ResultItem[]): DocumentGroup[] {
  const groups = new Map<string, DocumentGroup>();
  for (const item of [...items].sort((a, b) => a.rank - b.rank)) {
    const key = documentOf(item);
    const group = groups.get(key);
    if (group) {
      group.items.push(item);
      group.bestScore = Math.max(group.bestScore, item.score);
    } else {
      groups.set(key, {
        key,
        citationKey: item.citationKey,
        documentLabel: item.documentLabel,
        role: item.role,
        bestScore: item.score,
        items: [item],
      });
    }
  }
  const bestRank = (g: DocumentGroup): number => Math.min(...g.items.map((i) => i.rank));
  return [...groups.values()].sort((a, b) => b.bestScore - a.bestScore || bestRank(a) - bestRank(b));
}

/** "D1 · US 8,926,509 B2"; the specification's documents by their label only ("Spec." is not unique). */
export function groupTitle(group: Pick<DocumentGroup, 'citationKey' | 'documentLabel'>): string {
  return group.citationKey === 'Spec.'
    ? `Spec. · ${group.documentLabel}`
    : `${group.citationKey} · ${group.documentLabel}`;
}

/** "best 0.612 · 3 passages". */
export function groupSummary(group: Pick<DocumentGroup, 'bestScore' | 'items'>): string {
  const n = group.items.length;
  return `best ${group.bestScore.toFixed(3)} · ${n} passage${n === 1 ? '' : 's'}`;
}

/**
 * The layout that applies to these items: a filter on a document that has no passage here is dropped (a
 * new search found nothing in it), and so are collapsed groups that are not on screen, so the state does
 * not grow without end.
 */
export function effectiveLayout(layout: ResultsLayout, items: readonly ResultItem[]): ResultsLayout {
  const present = new Set(items.map(documentOf));
  const result: ResultsLayout = {
    groupByDocument: layout.groupByDocument,
    collapsed: layout.collapsed.filter((key) => present.has(key)),
  };
  if (layout.documentFilter !== undefined && present.has(layout.documentFilter)) {
    result.documentFilter = layout.documentFilter;
  }
  return result;
}

/** The items the layout shows: all, or one document's. */
export function visibleItems(items: readonly ResultItem[], layout: ResultsLayout): ResultItem[] {
  return layout.documentFilter === undefined
    ? [...items]
    : items.filter((item) => documentOf(item) === layout.documentFilter);
}
