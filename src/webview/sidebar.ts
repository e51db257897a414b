/**
 * The sidebar view: follows the claim under the cursor. Shows the index status and search settings,
 * then the query claim and its passages. Old results stay on screen until new ones arrive.
 */
import type { HostMessage, PersistedState, ResultsView, SettingsView, StatusView } from '../shared/protocol';
import { SCOPES, SEARCH_MODES, TOP_K_CHOICES } from '../shared/protocol';
import { connect } from './api';
import { h, icon, iconButton, textButton } from './dom';
import { enableListKeyboard, fitQueryClamp, queryView, renderResults } from './results';

const bridge = connect();
let state: PersistedState = bridge.loadState() ?? { view: 'sidebar' };

const root = document.getElementById('root') as HTMLElement;

// --- status -------------------------------------------------------------------------------------------
const statusIcon = h('span', { className: 'status-icon' });
const statusText = h('span', { className: 'status-text' });
const statusDetail = h('div', { className: 'status-detail' });
const progressFill = h('span', { className: 'progress-fill' });
const progress = h('div', { className: 'progress', hidden: true, role: 'progressbar' }, progressFill);
const status = h(
  'section',
  { className: 'status', 'aria-label': 'Index status', 'aria-live': 'polite' },
  h(
    'div',
    { className: 'status-line' },
    statusIcon,
    statusText,
    iconButton('refresh', 'Re-index the workspace', () => bridge.post({ type: 'reindex' }), {
      className: 'icon-button reindex',
    }),
  ),
  statusDetail,
  progress,
);

function renderStatus(s: StatusView): void {
  document.body.dataset.indexState = s.state;
  const spinning = s.state === 'indexing' || s.state === 'starting';
  statusIcon.replaceChildren(icon(s.state === 'error' ? 'error' : spinning ? 'loading' : 'database'));
  statusIcon.classList.toggle('spin', spinning);
  const counts = `${s.documents} document${s.documents === 1 ? '' : 's'} · ${s.paragraphs.toLocaleString('en-US')} paragraphs`;
  statusText.textContent =
    s.state === 'indexing'
      ? `Indexing${s.progress ? ` ${s.progress.done}/${s.progress.total}` : '…'}`
      : s.state === 'starting'
        ? 'Starting…'
        : s.state === 'error'
          ? 'Index problem'
          : `Indexed ${counts}`;
  statusDetail.textContent = [s.state === 'indexing' ? counts : undefined, `model ${s.model}`, s.message]
    .filter(Boolean)
    .join(' · ');
  progress.hidden = !(s.state === 'indexing' && s.progress && s.progress.total > 0);
  if (s.progress && s.progress.total > 0) {
    progressFill.style.width = `${(100 * s.progress.done) / s.progress.total}%`;
    progress.setAttribute('aria-valuenow', String(s.progress.done));
    progress.setAttribute('aria-valuemax', String(s.progress.total));
  }
}

// --- settings -----------------------------------------------------------------------------------------
const modeLabels: Record<string, string> = {
  hybrid: 'Hybrid',
  dense: 'Dense (meaning)',
  lexical: 'Lexical (words)',
};
const scopeLabels: Record<string, string> = {
  all: 'All documents',
  priorArt: 'Prior art only',
  specification: 'Specification only',
  folder: "This claim's folder",
};

function select<T extends string | number>(
  id: string,
  label: string,
  values: readonly T[],
  text: (v: T) => string,
  onChange: (v: T) => void,
): HTMLSelectElement {
  const el = h('select', { id, className: 'setting', 'aria-label': label });
  for (const v of values) el.append(h('option', { value: String(v) }, text(v)));
  el.addEventListener('change', () => {
    const raw = el.value;
    const value = values.find((v) => String(v) === raw);
    if (value !== undefined) onChange(value);
  });
  return el;
}

const modeSelect = select(
  'mode',
  'Search mode',
  SEARCH_MODES,
  (m) => modeLabels[m] ?? m,
  (mode) => bridge.post({ type: 'setMode', mode }),
);
let topKSelect = select(
  'topk',
  'Number of passages',
  TOP_K_CHOICES,
  (k) => `Top ${k}`,
  (topK) => bridge.post({ type: 'setTopK', topK }),
);
const scopeSelect = select(
  'scope',
  'Search scope',
  SCOPES,
  (s) => scopeLabels[s] ?? s,
  (scope) => bridge.post({ type: 'setScope', scope }),
);
const settingsRow = h(
  'section',
  { className: 'settings', 'aria-label': 'Search settings' },
  modeSelect,
  topKSelect,
  scopeSelect,
);

function renderSettings(s: SettingsView): void {
  modeSelect.value = s.mode;
  if (!TOP_K_CHOICES.includes(s.topK)) {
    // A top-k set in settings.json that the menu lacks: show it as its own entry.
    const choices = [...TOP_K_CHOICES, s.topK].sort((a, b) => a - b);
    const replacement = select(
      'topk',
      'Number of passages',
      choices,
      (k) => `Top ${k}`,
      (topK) => bridge.post({ type: 'setTopK', topK }),
    );
    topKSelect.replaceWith(replacement);
    topKSelect = replacement;
  }
  topKSelect.value = String(s.topK);
  scopeSelect.value = s.scope;
}

// --- query and results ----------------------------------------------------------------------------------
const busy = h('div', { className: 'busy', role: 'progressbar', 'aria-label': 'Searching', hidden: true });
const queryHolder = h('div', { className: 'query-holder' });
const openPanel = h(
  'div',
  { className: 'open-panel', hidden: true },
  iconButton('link-external', 'Open these results in the panel', () => bridge.post({ type: 'openPanel' })),
);
const notice = h('div', { className: 'notice', role: 'status', hidden: true });
const list = h('ol', { className: 'results compact', 'aria-label': 'Similar passages' });
enableListKeyboard(list);

root.append(
  status,
  settingsRow,
  busy,
  h('div', { className: 'query-row' }, queryHolder, openPanel),
  notice,
  list,
);

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

function renderResultsView(results: ResultsView): void {
  queryHolder.replaceChildren(queryView(results, true));
  fitQueryClamp(queryHolder);
  openPanel.hidden = false;
  showNotice(results.notice);
  renderResults(list, results, { compact: true, post: (m) => bridge.post(m) });
  document.body.dataset.searchId = String(results.searchId);
  document.body.dataset.claim =
    results.query.claimNumber !== undefined ? String(results.query.claimNumber) : '';
  document.body.dataset.state = 'results';
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'init':
      state = { view: 'sidebar', settings: message.settings, results: message.results ?? state.results };
      renderSettings(message.settings);
      renderStatus(message.status);
      if (state.results) renderResultsView(state.results);
      else if (message.idle) showNotice(message.idle);
      break;
    case 'status':
      renderStatus(message.status);
      return;
    case 'settings':
      state = { ...state, settings: message.settings };
      renderSettings(message.settings);
      break;
    case 'searching':
      busy.hidden = false;
      document.body.dataset.state = 'searching';
      return;
    case 'results':
      busy.hidden = true;
      state = { ...state, results: message.results };
      renderResultsView(message.results);
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
    case 'idle':
      busy.hidden = true;
      // Keep the last results: the cursor left a claim, the passages are still worth reading.
      if (!state.results) showNotice(message.reason);
      return;
  }
  bridge.saveState(state);
}

if (state.settings) renderSettings(state.settings);
if (state.results) renderResultsView(state.results);
window.addEventListener('resize', () => fitQueryClamp(queryHolder));
bridge.onMessage(handle);
bridge.post({ type: 'ready' });
