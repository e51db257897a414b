/**
 * Issue 11 in the UI's pure logic: why a passage ranks (shared terms, feedback terms, the document's own
 * match), the two kinds of marks in the passage text, results grouped and filtered by document, and the
 * mapping from the index's hits to the webviews' items. The hits here carry the issue-11 fields the way the
 * contract (src/core/search/types.ts) describes them; ui-explain-search.test.ts runs a real search.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassageHit } from '../../src/core/search/types';
import type { ResolvedQuery } from '../../src/extension/claims';
import { toResultItems, toResultsView } from '../../src/extension/resultItems';
import { documentPart, explain, explanationText, hasExplanation } from '../../src/shared/explain';
import {
  documentOf,
  effectiveLayout,
  groupByDocument,
  groupSummary,
  groupTitle,
  visibleItems,
} from '../../src/shared/grouping';
import { highlightSegments } from '../../src/shared/highlight';
import type { ResultItem } from '../../src/shared/protocol';

const US509 = 'file:///ws/prior-art/uspto/US08926509.xml';
const US630 = 'file:///ws/prior-art/uspto/US07272630B2.xml';
const DRAFT = 'file:///ws/draft-ecg-patch.md';

function hit(uri: string, paragraphId: string, score: number, extra: Partial<PassageHit> = {}): PassageHit {
  return {
    score,
    uri,
    documentLabel: uri.endsWith('.md')
      ? 'draft-ecg-patch.md'
      : (uri.split('/').pop() ?? '').replace('.xml', ''),
    role: uri.endsWith('.md') ? 'specification' : 'prior-art',
    paragraphId,
    paragraphNumber: paragraphId.replace('p-', ''),
    text: 'The radio transmits the buffered samples to the hub in a burst over a wireless link.',
    range: {
      start: { line: 10, character: 0 },
      end: { line: 12, character: 5 },
      startOffset: 400,
      endOffset: 490,
    },
    matchedTerms: ['radio', 'samples', 'burst'],
    ...extra,
  };
}

describe('why a passage ranks', () => {
  it('names shared terms, feedback terms and the document match, in that order', () => {
    const e = explain({
      score: 0.612,
      matchedTerms: ['radio', 'burst'],
      feedbackTerms: ['wireless', 'hub'],
      documentScore: 0.41,
      paragraphScore: 0.55,
    });
    assert.equal(
      explanationText(e),
      'Shares: radio, burst · Feedback: wireless, hub · Document match 0.410 (paragraph alone 0.550)',
    );
    assert.equal(hasExplanation(e), true);
    // The hover's brief form leaves out the paragraph's own score.
    assert.equal(
      explanationText(e, true),
      'Shares: radio, burst · Feedback: wireless, hub · Document match 0.410',
    );
  });

  it('says nothing about what the hit does not carry (feedback or document evidence off)', () => {
    const e = explain({ score: 0.5, matchedTerms: ['radio'] });
    assert.equal(explanationText(e), 'Shares: radio');
    assert.equal(documentPart(e), undefined);
    assert.equal(hasExplanation(explain({ score: 0.5, matchedTerms: [] })), false);
    assert.equal(explanationText(explain({ score: 0.5, matchedTerms: [] })), '');
  });

  it('leaves out "paragraph alone" where document evidence did not change the shown score', () => {
    const e = explain({ score: 0.5, matchedTerms: ['radio'], documentScore: 0, paragraphScore: 0.5 });
    assert.equal(explanationText(e), 'Shares: radio · Document match 0.000');
  });

  it('names each term once, a claim word never as feedback, and counts the rest', () => {
    const e = explain(
      {
        score: 0.5,
        matchedTerms: ['Radio', 'radio', 'burst', 'hub', 'buffer'],
        feedbackTerms: ['burst', 'wireless', 'link', 'electrode', 'adhesive'],
      },
      3,
    );
    assert.deepEqual(e.shared, { shown: ['Radio', 'burst', 'hub'], more: 1 });
    assert.deepEqual(e.feedback, { shown: ['wireless', 'link', 'electrode'], more: 1 });
    assert.equal(explanationText(e), 'Shares: Radio, burst, hub +1 · Feedback: wireless, link, electrode +1');
  });
});

describe('marks in the passage text', () => {
  it('marks shared and feedback words apart, whole words only, case-insensitively', () => {
    const text = 'The Radio sends a burst; the hub radios back over the wireless link.';
    const segments = highlightSegments(text, ['radio', 'burst'], ['wireless', 'hub']);
    assert.equal(segments.map((s) => s.text).join(''), text);
    assert.deepEqual(
      segments.filter((s) => s.match).map((s) => [s.text, s.kind]),
      [
        ['Radio', 'shared'],
        ['burst', 'shared'],
        ['hub', 'feedback'],
        ['wireless', 'feedback'],
      ],
    );
  });

  it('a word given as both is marked as shared (it is in the claim)', () => {
    const segments = highlightSegments('a radio link', ['radio'], ['radio', 'link']);
    assert.deepEqual(
      segments.filter((s) => s.match).map((s) => [s.text, s.kind]),
      [
        ['radio', 'shared'],
        ['link', 'feedback'],
      ],
    );
  });
});

describe('hits to items', () => {
  it('carries the explanation fields and the document of each hit', () => {
    const hits = [
      hit(US509, 'p-0053', 0.7, { feedbackTerms: ['wireless'], documentScore: 0.52, paragraphScore: 0.66 }),
      hit(US630, 'p-0012', 0.6),
      hit(DRAFT, 'o5', 0.5, { matchedTerms: [], documentKey: undefined }),
    ];
    const items = toResultItems(hits, 'a radio that transmits buffered samples in a burst');
    assert.deepEqual(items[0]!.feedbackTerms, ['wireless']);
    assert.equal(items[0]!.documentScore, 0.52);
    assert.equal(items[0]!.paragraphScore, 0.66);
    assert.equal(items[0]!.documentKey, US509);
    assert.equal('feedbackTerms' in items[1]!, false);
    assert.equal('documentScore' in items[1]!, false);
    // A dense-only hit carries no matched terms: the shared words are found from the texts.
    assert.deepEqual(items[2]!.matchedTerms, ['radio', 'transmits', 'buffered', 'samples', 'burst']);
  });

  it('a bulk file: each patent in it is its own document', () => {
    const bulk = 'file:///ws/ipg-weekly.xml';
    const items = toResultItems(
      [
        hit(bulk, 'p-1', 0.8, { documentKey: `${bulk}#1` }),
        hit(bulk, 'p-2', 0.7, { documentKey: `${bulk}#2` }),
      ],
      'radio',
    );
    assert.deepEqual(items.map(documentOf), [`${bulk}#1`, `${bulk}#2`]);
    assert.deepEqual(
      items.map((i) => i.citationKey),
      ['D1', 'D2'],
    );
  });

  it('the results view carries the words feedback added', () => {
    const query = {
      text: 'a radio',
      view: { title: 'Claim 1', source: 'draft-ecg-patch.md', text: 'a radio' },
      uri: DRAFT,
      key: 'k',
    } as ResolvedQuery;
    const settings = { mode: 'hybrid', topK: 10, scope: 'all', minScore: 0, elementMatching: false } as const;
    const outcome = {
      query,
      settings,
      hits: [hit(US509, 'p-1', 0.5)],
      timings: {},
      elapsedMs: 3,
      mode: 'hybrid' as const,
    };
    assert.equal('expansionTerms' in toResultsView(1, outcome), false);
    assert.deepEqual(toResultsView(1, { ...outcome, expansionTerms: ['hub', 'wireless'] }).expansionTerms, [
      'hub',
      'wireless',
    ]);
  });
});

describe('results by document', () => {
  const items = (): ResultItem[] =>
    toResultItems(
      [
        hit(US509, 'p-0053', 0.71),
        hit(US630, 'p-0012', 0.69),
        hit(US509, 'p-0027', 0.6),
        hit(DRAFT, 'o5', 0.55),
        hit(US630, 'p-0030', 0.5),
        hit(US509, 'p-0060', 0.4),
      ],
      'radio',
    );

  it('groups by document, documents ordered by their best hit, with best score and count', () => {
    const groups = groupByDocument(items());
    assert.deepEqual(
      groups.map((g) => [groupTitle(g), groupSummary(g), g.items.map((i) => i.rank)]),
      [
        ['D1 · US 8,926,509', 'best 0.710 · 3 passages', [1, 3, 6]],
        ['D2 · US 7,272,630 B2', 'best 0.690 · 2 passages', [2, 5]],
        ['Spec. · draft-ecg-patch.md', 'best 0.550 · 1 passage', [4]],
      ],
    );
  });

  it('orders by best score even when the ranks say otherwise (element matching re-ranks)', () => {
    const list = items();
    list[1]!.score = 0.9; // D2's best now beats D1's
    assert.deepEqual(
      groupByDocument(list).map((g) => g.citationKey),
      ['D2', 'D1', 'Spec.'],
    );
  });

  it('filters to one document, and drops a filter or collapsed group a new search no longer has', () => {
    const list = items();
    const layout = { groupByDocument: true, collapsed: [US630, 'file:///gone.xml'], documentFilter: US509 };
    const effective = effectiveLayout(layout, list);
    assert.deepEqual(effective, { groupByDocument: true, collapsed: [US630], documentFilter: US509 });
    assert.deepEqual(
      visibleItems(list, effective).map((i) => i.rank),
      [1, 3, 6],
    );
    const other = effectiveLayout({ ...layout, documentFilter: 'file:///gone.xml' }, list);
    assert.equal(other.documentFilter, undefined);
    assert.equal(visibleItems(list, other).length, list.length);
  });
});
