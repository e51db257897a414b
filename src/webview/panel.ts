/** The results panel: the query claim, then the ranked passages, with copy and export actions. */
import type { HostMessage, PersistedState, ResultsView } from '../shared/protocol';
import { connect } from './api';
import { h, textButton } from './dom';
import { enableListKeyboard, queryView, renderResults } from './results';

const bridge = connect();
let state: PersistedState = bridge.loadState() ?? { view: 'panel' };

const root = document.getElementById('root') as HTMLElement;
const busy = h('div', { className: 'busy', role: 'progressbar', 'aria-label': 'Searching', hidden: true });
const queryHolder = h('div', { className: 'query-holder' });
const summary = h('span', { className: 'summary', 'aria-live': 'polite' });
const notice = h('div', { className: 'notice', role: 'status', hidden: true });
const list = h('ol', { className: 'results', 'aria-label': 'Similar passages' });
enableListKeyboard(list);

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
    textButton('copy', 'Copy citations', () => bridge.post({ type: 'copyAllCitations' }), {
      title: 'Copy all citations in examiner style',
    }),
    textButton('export', 'Export…', () => bridge.post({ type: 'export' }), {
      title: 'Export the list as Markdown or CSV',
    }),
  ),
);
root.append(busy, queryHolder, toolbar, notice, list);

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

function render(results: ResultsView): void {
  queryHolder.replaceChildren(queryView(results, false));
  const docs = new Set(results.items.map((i) => i.uri)).size;
  summary.textContent =
    `${results.items.length} passage${results.items.length === 1 ? '' : 's'} from ${docs} document${docs === 1 ? '' : 's'}` +
    ` · ${results.mode}` +
    (results.elapsedMs !== undefined ? ` · ${Math.round(results.elapsedMs)} ms` : '');
  toolbar.hidden = false;
  showNotice(results.notice);
  renderResults(list, results, { compact: false, post: (m) => bridge.post(m) });
  document.body.dataset.searchId = String(results.searchId);
  document.body.dataset.state = 'results';
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'init':
      state = { view: 'panel', settings: message.settings, results: message.results ?? state.results };
      elementToggle.checked = message.settings.elementMatching;
      if (state.results) render(state.results);
      break;
    case 'searching':
      busy.hidden = false;
      document.body.dataset.state = 'searching';
      if (!state.results) queryHolder.replaceChildren(queryView({ query: message.query }, false));
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
elementToggle.checked = state.settings?.elementMatching ?? false;
if (state.results) render(state.results);
bridge.onMessage(handle);
bridge.post({ type: 'ready' });
