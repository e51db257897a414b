/** The restored panel/sidebar state is webview-written, untrusted input: every field is checked. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePersistedState, type PersistedState } from '../../src/shared/protocol';

/** A state as the panel saves it after a search (every optional field present). */
function savedState(): PersistedState {
  return {
    view: 'panel',
    settings: { mode: 'hybrid', topK: 10, scope: 'all', minScore: 0.2, elementMatching: true },
    results: {
      searchId: 3,
      query: {
        title: 'Claim 2 (with claim 1)',
        source: 'draft-ecg-patch.md',
        text: 'The patch of claim 1, wherein the radio transmits in a burst.',
        uri: 'file:///ws/draft-ecg-patch.md',
        claimNumber: 2,
        dependsOn: [1],
      },
      items: [
        {
          id: 'file:///ws/prior-art/uspto/US08926509.xml#p-0053',
          rank: 1,
          score: 0.83,
          uri: 'file:///ws/prior-art/uspto/US08926509.xml',
          fileName: 'US08926509.xml',
          documentLabel: 'US 8,926,509 B2',
          citationKey: 'D1',
          role: 'prior-art',
          paragraphId: 'p-0053',
          paragraphLabel: '[0053]',
          text: 'The radio transmits the buffered samples in a burst.',
          matchedTerms: ['radio', 'burst'],
          elementMatches: [{ element: 'a radio', score: 0.7 }],
          range: { startLine: 120, startCharacter: 4, endLine: 122, endCharacter: 0 },
          documentKey: 'file:///ws/prior-art/uspto/US08926509.xml',
          feedbackTerms: ['samples'],
          documentScore: 0.61,
          paragraphScore: 0.79,
        },
      ],
      mode: 'hybrid',
      topK: 10,
      elapsedMs: 42,
      notice: 'Some documents are still being indexed.',
      expansionTerms: ['samples', 'wireless'],
    },
    layout: {
      groupByDocument: true,
      collapsed: ['file:///ws/prior-art/ep/EP1234567.xml'],
      documentFilter: 'file:///ws/prior-art/uspto/US08926509.xml',
    },
  };
}

describe('restored webview state', () => {
  it('a state the panel saved is restored field for field', () => {
    assert.deepEqual(parsePersistedState(savedState()), savedState());
    assert.deepEqual(parsePersistedState({ view: 'sidebar' }), {
      view: 'sidebar',
      results: undefined,
      settings: undefined,
    });
  });

  it('a state saved before the layout and explanation fields existed is still restored', () => {
    const old = structuredClone(savedState());
    delete old.layout;
    delete old.results!.expansionTerms;
    const item = old.results!.items[0]!;
    delete item.documentKey;
    delete item.feedbackTerms;
    delete item.documentScore;
    delete item.paragraphScore;
    assert.deepEqual(parsePersistedState(old), old);
  });

  it('fields the protocol does not have are dropped', () => {
    const state = savedState() as unknown as { results: { items: Record<string, unknown>[] } };
    state.results.items[0]!.command = 'workbench.action.terminal.new';
    const parsed = parsePersistedState(state);
    assert.ok(parsed?.results);
    assert.equal('command' in (parsed.results.items[0] as object), false);
  });

  // Crafted states break the types on purpose: untyped access is the point here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Crafted = Record<string, any>;
  const broken: [string, (s: Crafted) => void][] = [
    ['no view', (s) => delete s.view],
    ['an unknown view', (s) => (s.view = 'editor')],
    ['results that are a string', (s) => (s.results = 'x')],
    ['items that are not a list', (s) => (s.results.items = { 0: {} })],
    ['more items than topK allows', (s) => (s.results.items = Array(201).fill(s.results.items[0]))],
    ['an unknown mode', (s) => (s.results.mode = 'magic')],
    ['a topK of 0', (s) => (s.results.topK = 0)],
    ['a negative searchId', (s) => (s.results.searchId = -1)],
    ['a query without text', (s) => delete s.results.query.text],
    ['a query uri that is an object', (s) => (s.results.query.uri = { scheme: 'command' })],
    ['dependsOn with a string', (s) => (s.results.query.dependsOn = ['1'])],
    ['an item uri that is a number', (s) => (s.results.items[0].uri = 42)],
    ['an item without an id', (s) => delete s.results.items[0].id],
    ['an item with an unknown role', (s) => (s.results.items[0].role = 'admin')],
    ['a score that is NaN', (s) => (s.results.items[0].score = Number.NaN)],
    ['a score that is a string', (s) => (s.results.items[0].score = '0.9')],
    ['matched terms with a number', (s) => (s.results.items[0].matchedTerms = ['radio', 5])],
    ['a range with a negative line', (s) => (s.results.items[0].range.startLine = -3)],
    ['a range with a fraction', (s) => (s.results.items[0].range.endCharacter = 1.5)],
    ['no range', (s) => delete s.results.items[0].range],
    ['element matches that are not a list', (s) => (s.results.items[0].elementMatches = 'x')],
    ['an element match without a score', (s) => (s.results.items[0].elementMatches = [{ element: 'a' }])],
    ['an item that is null', (s) => (s.results.items = [null])],
    ['a notice that is a number', (s) => (s.results.notice = 7)],
    ['settings with an unknown scope', (s) => (s.settings.scope = 'everything')],
    ['settings with topK 1000', (s) => (s.settings.topK = 1000)],
    ['settings without elementMatching', (s) => delete s.settings.elementMatching],
    ['a documentKey that is a number', (s) => (s.results.items[0].documentKey = 1)],
    ['feedback terms that are a string', (s) => (s.results.items[0].feedbackTerms = 'samples')],
    ['a document score that is Infinity', (s) => (s.results.items[0].documentScore = Infinity)],
    ['a paragraph score that is a string', (s) => (s.results.items[0].paragraphScore = '0.5')],
    ['expansion terms with null', (s) => (s.results.expansionTerms = ['a', null])],
    ['a layout that is a list', (s) => (s.layout = [true])],
    ['a layout without groupByDocument', (s) => delete s.layout.groupByDocument],
    ['a layout whose groupByDocument is a string', (s) => (s.layout.groupByDocument = 'yes')],
    ['collapsed groups that are not a list', (s) => (s.layout.collapsed = 'all')],
    ['more collapsed groups than items can have', (s) => (s.layout.collapsed = Array(201).fill('x'))],
    ['a document filter that is an object', (s) => (s.layout.documentFilter = { uri: 'x' })],
  ];
  for (const [what, breakIt] of broken) {
    it(`a state with ${what} is not used`, () => {
      const state = structuredClone(savedState()) as unknown as Crafted;
      breakIt(state);
      assert.equal(parsePersistedState(state), undefined);
    });
  }
});
