/**
 * The ranked passage list shared by the panel and the sidebar: score (number and bar), citation key,
 * document, paragraph number, the text with the shared terms (and the terms feedback added) marked, and a
 * "why" line. The panel can group it by document. Keyboard: ↑/↓ (and j/k) move, Home/End jump, Enter opens
 * the passage, C copies its citation.
 */
import { citation } from '../shared/citations';
import { documentPart, explain, explanationText, type TermList } from '../shared/explain';
import { groupByDocument, groupSummary, groupTitle } from '../shared/grouping';
import { highlightSegments, type SegmentKind } from '../shared/highlight';
import type { ResultItem, ResultsLayout, ResultsView, WebviewMessage } from '../shared/protocol';
import { h, icon, iconButton } from './dom';

export interface ListOptions {
  compact: boolean;
  post(message: WebviewMessage): void;
  /** The panel's layout: grouped by document, collapsed groups. Absent: a flat list. */
  layout?: ResultsLayout;
  /** A group was collapsed or expanded by the user. */
  onToggleGroup?(documentKey: string, collapsed: boolean): void;
}

/** What each kind of mark means, for its tooltip (the "why" line and the legend say it in words too). */
export const MARK_TITLES: Record<SegmentKind, string> = {
  shared: 'In the claim',
  feedback: 'Added to the claim by feedback',
};

/** A marked term: the kind is in the class (style) and in the title; never told by colour alone. */
export function termMark(text: string, kind: SegmentKind): HTMLElement {
  return h('mark', { className: `term ${kind}`, title: MARK_TITLES[kind] }, text);
}

function highlightedText(item: ResultItem): HTMLElement {
  const p = h('p', { className: 'result-text' });
  for (const segment of highlightSegments(item.text, item.matchedTerms, item.feedbackTerms)) {
    p.append(
      segment.match
        ? termMark(segment.text, segment.kind ?? 'shared')
        : document.createTextNode(segment.text),
    );
  }
  return p;
}

function termsPart(label: string, list: TermList, kind: SegmentKind): HTMLElement {
  const part = h('span', { className: `why-part why-${kind}` }, h('span', { className: 'why-label' }, label));
  list.shown.forEach((term, i) => part.append(i === 0 ? ' ' : ', ', termMark(term, kind)));
  if (list.more > 0) part.append(` +${list.more}`);
  return part;
}

/**
 * "Shares: a, b · Feedback: c · Document match 0.410": why the passage ranks, from the hit's own fields.
 * Undefined when the hit carries nothing to explain.
 */
function whyLine(item: ResultItem, id: string): HTMLElement | undefined {
  const explanation = explain(item);
  const text = explanationText(explanation);
  if (!text) return undefined;
  const line = h('p', { className: 'why', id, title: text });
  const parts: HTMLElement[] = [];
  if (explanation.shared.shown.length > 0) parts.push(termsPart('Shares:', explanation.shared, 'shared'));
  if (explanation.feedback.shown.length > 0) {
    parts.push(termsPart('Feedback:', explanation.feedback, 'feedback'));
  }
  const document = documentPart(explanation);
  if (document) {
    parts.push(h('span', { className: 'why-part why-document' }, document));
  }
  parts.forEach((part, i) =>
    line.append(...(i > 0 ? [h('span', { 'aria-hidden': 'true' }, ' · ')] : []), part),
  );
  return line;
}

function scoreView(score: number): HTMLElement {
  const fill = h('span', { className: 'score-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
  return h(
    'span',
    { className: 'score', title: `Similarity ${score.toFixed(3)} (0 to 1)` },
    h('span', { className: 'score-bar', 'aria-hidden': 'true' }, fill),
    h('span', { className: 'score-value' }, score.toFixed(3)),
  );
}

function resultRow(item: ResultItem, options: ListOptions): HTMLLIElement {
  const label = `${item.rank}. score ${item.score.toFixed(3)}, ${citation(item)}`;
  const whyId = `why-${options.compact ? 's' : 'p'}${item.rank}`;
  const why = whyLine(item, whyId);
  const li = h('li', {
    className: 'result',
    tabindex: 0,
    'aria-label': label,
    'aria-describedby': why ? whyId : undefined,
    'data-id': item.id,
    'data-rank': item.rank,
    'data-score': item.score.toFixed(6),
    'data-document': item.documentLabel,
    'data-citation-key': item.citationKey,
    'data-paragraph': item.paragraphLabel,
    'data-uri': item.uri,
    'data-line': item.range.startLine,
    'data-role': item.role,
  });
  const open = (): void => options.post({ type: 'open', itemId: item.id });
  const copy = (): void => options.post({ type: 'copyCitation', itemId: item.id });
  li.append(
    h(
      'div',
      { className: 'result-head' },
      h('span', { className: 'rank' }, String(item.rank)),
      scoreView(item.score),
      h('span', { className: `cite-key role-${item.role}` }, item.citationKey),
      h('span', { className: 'document', title: item.fileName }, item.documentLabel),
      h('span', { className: 'paragraph' }, item.paragraphLabel),
      h(
        'span',
        { className: 'actions' },
        iconButton('go-to-file', 'Open passage (Enter)', open, { tabindex: -1 }),
        iconButton('copy', 'Copy citation (C)', copy, { tabindex: -1 }),
      ),
    ),
    highlightedText(item),
  );
  if (why) li.append(why);
  if (!options.compact && item.elementMatches && item.elementMatches.length > 0) {
    li.append(
      h(
        'ul',
        { className: 'elements', 'aria-label': 'Claim elements matched' },
        ...item.elementMatches.map((m) => {
          const fill = h('span', { className: 'score-fill' });
          fill.style.width = `${Math.max(0, Math.min(1, m.score)) * 100}%`;
          return h(
            'li',
            { title: m.element },
            h('span', { className: 'score-bar small', 'aria-hidden': 'true' }, fill),
            h('span', { className: 'element-score' }, m.score.toFixed(2)),
            h('span', { className: 'element-text' }, m.element),
          );
        }),
      ),
    );
  }
  li.addEventListener('click', (event) => {
    // Let the user select text without opening the document.
    if (window.getSelection()?.toString()) return;
    if ((event.target as HTMLElement).closest('button')) return;
    open();
  });
  li.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    } else if ((event.key === 'c' || event.key === 'C') && !event.altKey) {
      if ((event.ctrlKey || event.metaKey) && window.getSelection()?.toString()) return; // normal copy
      event.preventDefault();
      copy();
    }
  });
  return li;
}

/** The rows on screen: a grouped list nests them, a collapsed group hides its own. */
const visibleRows = (list: HTMLElement): HTMLElement[] =>
  [...list.querySelectorAll<HTMLElement>('.result')].filter((row) => row.closest('[hidden]') === null);

/** Moves focus between result rows with the arrow keys; from nowhere (focus on the page), ↓ enters the list. */
export function enableListKeyboard(list: HTMLElement): void {
  document.addEventListener('keydown', (event) => {
    if (document.activeElement !== document.body || (event.key !== 'ArrowDown' && event.key !== 'j')) return;
    const first = visibleRows(list)[0];
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
  list.addEventListener('keydown', (event) => {
    const rows = visibleRows(list);
    const active = document.activeElement as HTMLElement | null;
    let current = rows.indexOf(active as HTMLElement);
    const down = event.key === 'ArrowDown' || event.key === 'j';
    const up = event.key === 'ArrowUp' || event.key === 'k';
    if (current < 0 && active && active !== list && list.contains(active) && (down || up)) {
      // On a group's header: ↓ goes to the first row after it, ↑ to the last row before it.
      const after = rows.findIndex(
        (r) => active.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING,
      );
      if (after < 0 && down) return; // the last group, collapsed: nothing below
      current = (after < 0 ? rows.length : after) - (down ? 1 : 0);
    }
    let next = -1;
    if (down) next = Math.min(rows.length - 1, current + 1);
    else if (up) next = Math.max(0, current - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = rows.length - 1;
    const target = next >= 0 ? rows[next] : undefined;
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });
}

/** A document's group: a header button (collapses it) with label, best score and hit count, then its rows. */
function groupView(
  group: ReturnType<typeof groupByDocument>[number],
  index: number,
  collapsed: boolean,
  options: ListOptions,
): HTMLLIElement {
  const rowsId = `group-${index + 1}`;
  const rows = h(
    'ol',
    { className: 'group-items', id: rowsId, hidden: collapsed },
    ...group.items.map((item) => resultRow(item, options)),
  );
  const chevron = h('span', { className: 'chevron' }, icon(collapsed ? 'chevron-right' : 'chevron-down'));
  const toggle = h(
    'button',
    {
      type: 'button',
      className: 'group-toggle',
      'aria-expanded': String(!collapsed),
      'aria-controls': rowsId,
    },
    chevron,
    h('span', { className: `cite-key role-${group.role}` }, group.citationKey),
    h('span', { className: 'document', title: groupTitle(group) }, group.documentLabel),
    h('span', { className: 'group-summary' }, groupSummary(group)),
  );
  toggle.addEventListener('click', () => {
    const nowCollapsed = !rows.hidden;
    rows.hidden = nowCollapsed;
    toggle.setAttribute('aria-expanded', String(!nowCollapsed));
    chevron.replaceChildren(icon(nowCollapsed ? 'chevron-right' : 'chevron-down'));
    options.onToggleGroup?.(group.key, nowCollapsed);
  });
  const li = h('li', { className: 'doc-group', 'data-document-key': group.key }, h('h3', {}, toggle), rows);
  li.dataset.bestScore = group.bestScore.toFixed(6);
  li.dataset.count = String(group.items.length);
  return li;
}

/**
 * Replaces the list's rows in one go (no empty intermediate state), keeping focus on the same rank. `items`
 * (default: all of `results`) is what the layout lets through; grouped, one group per document.
 */
export function renderResults(
  list: HTMLElement,
  results: ResultsView,
  options: ListOptions,
  items: readonly ResultItem[] = results.items,
): void {
  const focusedRank = (document.activeElement as HTMLElement | null)
    ?.closest?.('.result')
    ?.getAttribute('data-rank');
  const grouped = options.layout?.groupByDocument ?? false;
  list.classList.toggle('grouped', grouped);
  if (grouped) {
    const collapsed = new Set(options.layout?.collapsed ?? []);
    list.replaceChildren(
      ...groupByDocument(items).map((group, i) => groupView(group, i, collapsed.has(group.key), options)),
    );
  } else {
    list.replaceChildren(...items.map((item) => resultRow(item, options)));
  }
  if (focusedRank) {
    const rows = visibleRows(list);
    (rows.find((r) => r.dataset.rank === focusedRank) ?? rows[rows.length - 1])?.focus();
  }
}

/** The claim the reader expanded, so a refresh of the same claim keeps it expanded. */
let expandedQueryText: string | undefined;

/**
 * The query claim, clamped to a few lines so the results come first, with a "Show full claim" / "Show less"
 * button (`aria-expanded`). Call `fitQueryClamp` once it is in the document: the button shows only when the
 * claim is longer than the clamp.
 */
export function queryView(results: Pick<ResultsView, 'query'>, compact: boolean): HTMLElement {
  const { query } = results;
  const textId = `query-text-${compact ? 's' : 'p'}`;
  const expanded = expandedQueryText === query.text;
  const text = h('p', { className: 'query-text', id: textId }, query.text);
  const toggle = h(
    'button',
    {
      type: 'button',
      className: 'link-button query-toggle',
      'aria-expanded': String(expanded),
      'aria-controls': textId,
    },
    expanded ? 'Show less' : 'Show full claim',
  );
  const section = h(
    'section',
    { className: `query${compact ? ' compact' : ''}${expanded ? '' : ' clamped'}`, 'aria-label': 'Query' },
    h(
      'div',
      { className: 'query-head' },
      icon(query.claimNumber !== undefined ? 'symbol-key' : 'selection'),
      h('strong', { className: 'query-title' }, query.title),
      h('span', { className: 'query-source' }, query.source),
    ),
    text,
    toggle,
  );
  toggle.addEventListener('click', () => {
    const nowExpanded = section.classList.toggle('clamped') === false;
    expandedQueryText = nowExpanded ? query.text : undefined;
    toggle.setAttribute('aria-expanded', String(nowExpanded));
    toggle.textContent = nowExpanded ? 'Show less' : 'Show full claim';
  });
  return section;
}

/** Shows the clamp's button only where the claim does not fit the clamp (or is expanded). */
export function fitQueryClamp(holder: HTMLElement): void {
  const section = holder.querySelector<HTMLElement>('.query');
  const text = section?.querySelector<HTMLElement>('.query-text');
  const toggle = section?.querySelector<HTMLElement>('.query-toggle');
  if (!section || !text || !toggle) return;
  const clamped = section.classList.contains('clamped');
  toggle.hidden = clamped && text.scrollHeight <= text.clientHeight + 1;
}
