/**
 * The results panel: the query claim (clamped, so the results come first), then the ranked passages, with
 * copy and export actions, a legend of the marks, and the reader's layout: grouped by document, one
 * document only. The layout is kept in the panel's state.
 */
import { documentOf, effectiveLayout, groupByDocument, groupTitle, visibleItems } from '../shared/grouping';
import {
  DEFAULT_LAYOUT,
  type HostMessage,
  type PersistedState,
  type ResultsLayout,
  type ResultsView,
} from '../shared/protocol';
import { connect } from './api';
import { h, textButton } from './dom';
import { enableListKeyboard, fitQueryClamp, queryView, renderResults, termMark } from './results';

const bridge = connect();
let state: PersistedState = bridge.loadState() ?? { view: 'panel' };
const layout = (): ResultsLayout => state.layout ?? DEFAULT_LAYOUT;

const root = document.getElementById('root') as HTMLElement;
const busy = h('div', { className: 'busy', role: 'progressbar', 'aria-label': 'Searching', hidden: true });
const queryHolder = h('div', { className: 'query-holder' });
const summary = h('span', { className: 'summary', 'aria-live': 'polite' });
const notice = h('div', { className: 'notice', role: 'status', hidden: true });
const legend = h('p', { className: 'legend', hidden: true });
const list = h('ol', { className: 'results', 'aria-label': 'Similar passages' });
enableListKeyboard(list);

const groupToggle = h('input', { type: 'checkbox', id: 'group-by-document' });
groupToggle.addEventListener('change', () =>
  setLayout({ ...layout(), groupByDocument: groupToggle.checked }),
);
const documentFilter = h('select', {
  id: 'document-filter',
  className: 'setting',
  'aria-label': 'Show the passages of',
  title: 'Show the passages of one document only',
});
documentFilter.addEventListener('change', () => {
  const next: ResultsLayout = { ...layout() };
  if (documentFilter.value) next.documentFilter = documentFilter.value;
  else delete next.documentFilter;
  setLayout(next);
});

const elementToggle = h('input', { type: 'checkbox', id: 'element-matching' });
elementToggle.addEventListener('change', () =>
  bridge.post({ type: 'setElementMatching', enabled: elementToggle.checked }),
);
const toolbar = h(
  'div',
  { className: 'toolbar' },
  summary,
  h(
    'span',
    { className: 'toolbar-actions' },
    textButton('copy', 'Copy citations', () => bridge.post({ type: 'copyAllCitations' }), {
      title: 'Copy all citations in examiner style',
    }),
    textButton('export', 'Export…', () => bridge.post({ type: 'export' }), {
      title: 'Export the list as Markdown or CSV',
    }),
  ),
);
/** How the list is shown: by document, one document only, with per-element scores. */
const viewControls = h(
  'div',
  { className: 'view-controls', role: 'group', 'aria-label': 'How the passages are shown' },
  h(
    'label',
    {
      className: 'toggle',
      for: 'group-by-document',
      title: 'One collapsible group per document, documents ordered by their best passage',
    },
    groupToggle,
    'Group by document',
  ),
  documentFilter,
  h(
    'label',
    {
      className: 'toggle',
      for: 'element-matching',
      title: 'Also score each element of the claim against each passage (one embedding per element)',
    },
    elementToggle,
    'Claim elements',
  ),
);
root.append(busy, queryHolder, toolbar, viewControls, legend, notice, list);

function showNotice(text: string | undefined, kind: 'info' | 'error' = 'info'): void {
  notice.hidden = !text;
  notice.className = `notice ${kind}`;
  notice.replaceChildren(text ?? '');
  if (text && kind === 'error') {
    notice.append(
      ' ',
      textButton('output', 'Show log', () => bridge.post({ type: 'showLog' })),
    );
  }
}

function setLayout(next: ResultsLayout): void {
  state = { ...state, layout: next };
  if (state.results) renderList(state.results);
  bridge.saveState(state);
}

/** "The words feedback added to the claim" and what the two kinds of marks mean, when feedback ran. */
function renderLegend(results: ResultsView): void {
  const expansion = results.expansionTerms ?? [];
  const anyFeedback = expansion.length > 0 || results.items.some((i) => (i.feedbackTerms ?? []).length > 0);
  legend.hidden = !anyFeedback;
  if (!anyFeedback) return;
  const shown = expansion.slice(0, 10);
  legend.replaceChildren(
    h('span', { className: 'why-label' }, 'Marks:'),
    ' ',
    termMark('word', 'shared'),
    ' in the claim · ',
    termMark('word', 'feedback'),
    ' added by feedback',
    ...(shown.length > 0
      ? [
          `: ${shown.join(', ')}${expansion.length > shown.length ? ` +${expansion.length - shown.length}` : ''}`,
        ]
      : []),
  );
}

/** The document filter's choices: every document of the results, ordered by its best passage. */
function renderDocumentChoices(results: ResultsView, selected: string | undefined): void {
  const groups = groupByDocument(results.items);
  documentFilter.replaceChildren(
    h('option', { value: '' }, `All documents (${groups.length})`),
    ...groups.map((g) => h('option', { value: g.key }, `${groupTitle(g)} (${g.items.length})`)),
  );
  documentFilter.value = selected ?? '';
}

/** The list and its summary under the current layout (also after a layout change, without a new search). */
function renderList(results: ResultsView): void {
  const current = effectiveLayout(layout(), results.items);
  // Kept pruned (saved with the state by the caller), so the state never grows past what it may hold.
  if (state.layout) state = { ...state, layout: current };
  const items = visibleItems(results.items, current);
  const total = results.items.length;
  const docs = new Set(items.map(documentOf)).size;
  summary.textContent =
    `${items.length === total ? '' : `${items.length} of `}${total} passage${total === 1 ? '' : 's'}` +
    ` from ${docs} document${docs === 1 ? '' : 's'}` +
    ` · ${results.mode}` +
    (results.elapsedMs !== undefined ? ` · ${Math.round(results.elapsedMs)} ms` : '');
  groupToggle.checked = current.groupByDocument;
  renderDocumentChoices(results, current.documentFilter);
  renderResults(
    list,
    results,
    {
      compact: false,
      post: (m) => bridge.post(m),
      layout: current,
      onToggleGroup: (key, collapsed) => {
        const others = layout().collapsed.filter((k) => k !== key);
        state = { ...state, layout: { ...layout(), collapsed: collapsed ? [...others, key] : others } };
        bridge.saveState(state);
      },
    },
    items,
  );
  document.body.dataset.layout = current.groupByDocument ? 'grouped' : 'flat';
}

function render(results: ResultsView): void {
  queryHolder.replaceChildren(queryView(results, false));
  fitQueryClamp(queryHolder);
  toolbar.hidden = false;
  viewControls.hidden = false;
  showNotice(results.notice);
  renderLegend(results);
  renderList(results);
  document.body.dataset.searchId = String(results.searchId);
  document.body.dataset.state = 'results';
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'init':
      state = {
        ...state,
        view: 'panel',
        settings: message.settings,
        results: message.results ?? state.results,
      };
      elementToggle.checked = message.settings.elementMatching;
      if (state.results) render(state.results);
      break;
    case 'searching':
      busy.hidden = false;
      document.body.dataset.state = 'searching';
      if (!state.results) {
        queryHolder.replaceChildren(queryView({ query: message.query }, false));
        fitQueryClamp(queryHolder);
      }
      return;
    case 'results':
      busy.hidden = true;
      state = { ...state, results: message.results };
      render(message.results);
      requestAnimationFrame(() =>
        bridge.post({
          type: 'rendered',
          searchId: message.results.searchId,
          count: message.results.items.length,
        }),
      );
      break;
    case 'searchFailed':
      busy.hidden = true;
      document.body.dataset.state = 'error';
      showNotice(message.message, 'error');
      return;
    case 'settings':
      state = { ...state, settings: message.settings };
      elementToggle.checked = message.settings.elementMatching;
      break;
    case 'status':
    case 'idle':
      return;
  }
  bridge.saveState(state);
}

toolbar.hidden = true;
viewControls.hidden = true;
elementToggle.checked = state.settings?.elementMatching ?? false;
if (state.results) render(state.results);
// The clamp's button depends on the width the claim gets.
window.addEventListener('resize', () => fitQueryClamp(queryHolder));
bridge.onMessage(handle);
bridge.post({ type: 'ready' });
