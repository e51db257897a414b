/**
 * The ranked passage list shared by the panel and the sidebar: score (number and bar), citation key,
 * document, paragraph number and text with the shared terms highlighted. Keyboard: ↑/↓ (and j/k) move,
 * Home/End jump, Enter opens the passage, C copies its citation.
 */
import { citation } from '../shared/citations';
import { highlightSegments } from '../shared/highlight';
import type { ResultItem, ResultsView, WebviewMessage } from '../shared/protocol';
import { h, icon, iconButton } from './dom';

export interface ListOptions {
  compact: boolean;
  post(message: WebviewMessage): void;
}

function highlightedText(text: string, terms: readonly string[]): HTMLElement {
  const p = h('p', { className: 'result-text' });
  for (const segment of highlightSegments(text, terms)) {
    p.append(segment.match ? h('mark', {}, segment.text) : document.createTextNode(segment.text));
  }
  return p;
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
  const li = h('li', {
    className: 'result',
    tabindex: 0,
    'aria-label': label,
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
    highlightedText(item.text, item.matchedTerms),
  );
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

/** Moves focus between result rows with the arrow keys; from nowhere (focus on the page), ↓ enters the list. */
export function enableListKeyboard(list: HTMLElement): void {
  document.addEventListener('keydown', (event) => {
    if (document.activeElement !== document.body || (event.key !== 'ArrowDown' && event.key !== 'j')) return;
    const first = list.querySelector<HTMLElement>(':scope > .result');
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
  list.addEventListener('keydown', (event) => {
    const rows = [...list.querySelectorAll<HTMLElement>(':scope > .result')];
    const current = rows.indexOf(document.activeElement as HTMLElement);
    let next = -1;
    if (event.key === 'ArrowDown' || event.key === 'j') next = Math.min(rows.length - 1, current + 1);
    else if (event.key === 'ArrowUp' || event.key === 'k') next = Math.max(0, current - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = rows.length - 1;
    const target = next >= 0 ? rows[next] : undefined;
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });
}

/** Replaces the list's rows in one go (no empty intermediate state), keeping focus on the same rank. */
export function renderResults(list: HTMLElement, results: ResultsView, options: ListOptions): void {
  const focusedRank = (document.activeElement as HTMLElement | null)
    ?.closest?.('.result')
    ?.getAttribute('data-rank');
  const rows = results.items.map((item) => resultRow(item, options));
  list.replaceChildren(...rows);
  if (focusedRank) rows[Math.min(rows.length, Number(focusedRank)) - 1]?.focus();
}

export function queryView(results: Pick<ResultsView, 'query'>, compact: boolean): HTMLElement {
  const { query } = results;
  return h(
    'section',
    { className: `query${compact ? ' compact' : ''}`, 'aria-label': 'Query' },
    h(
      'div',
      { className: 'query-head' },
      icon(query.claimNumber !== undefined ? 'symbol-key' : 'selection'),
      h('strong', { className: 'query-title' }, query.title),
      h('span', { className: 'query-source' }, query.source),
    ),
    h('p', { className: 'query-text' }, query.text),
  );
}
