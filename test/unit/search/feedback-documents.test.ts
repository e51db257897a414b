import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Analyzer } from '../../../src/core/search/analyzer';
import { Bm25Index, PRODUCT_BM25 } from '../../../src/core/search/bm25';
import { DEFAULT_FEEDBACK, relevanceModel, type FeedbackOptions } from '../../../src/core/search/feedback';
import {
  PassageCorpus,
  type CorpusSearchOptions,
  type PassageRecord,
} from '../../../src/core/search/passage-corpus';
import type { SearchMode } from '../../../src/core/search/types';

// Pseudo-relevance feedback (RM3) and document evidence in the core search (issue 11). The quality
// figures are in `eval` (docs/notes/issue-11.md); these tests pin down what the two steps compute.

const DIMS = 4;

function paragraph(uri: string, id: string, text: string): PassageRecord {
  return {
    uri,
    documentLabel: uri,
    paragraphId: id,
    text,
    range: {
      start: { line: 0, character: 0 },
      end: { line: 0, character: text.length },
      startOffset: 0,
      endOffset: text.length,
    },
    hash: id,
  };
}

/** Paragraphs about other things, so that document shares are realistic (each word in few paragraphs). */
const FILLER_TOPICS = [
  'solar panel mounted on a roof frame with aluminium rails',
  'printed circuit board with copper traces and solder pads',
  'bicycle brake caliper pressing rubber pads against a rim',
  'coffee grinder with conical burrs driven by an electric motor',
  'window blind raised by a cord running over a pulley',
  'toothbrush handle holding replaceable nylon bristle heads',
  'garden hose nozzle with an adjustable spray pattern',
  'ski binding releasing the boot under torsional load',
  'paper stapler with a spring loaded magazine of staples',
  'refrigerator door gasket sealing against a steel cabinet',
];

function addFillers(corpus: PassageCorpus): void {
  FILLER_TOPICS.forEach((topic, i) => corpus.add(paragraph(`/f${i}.txt`, `f${i}`, `A ${topic}.`)));
}

const HINGE_CLAIM = 'A hinge comprising a hinge pin, a door leaf and a knuckle.';

/** Document a: a strong, a weak and a non-matching paragraph; document b: one middling paragraph. */
function hingeCorpus(): PassageCorpus {
  const corpus = new PassageCorpus(DIMS);
  corpus.add(paragraph('/a.txt', 'a1', 'A hinge pin holding a door leaf and a hinge knuckle.'));
  corpus.add(paragraph('/a.txt', 'a2', 'The hinge is made of brass.'));
  corpus.add(paragraph('/a.txt', 'a3', 'Packaging and shipping are not described here.'));
  corpus.add(paragraph('/b.txt', 'b1', 'A hinge and a knuckle of steel.'));
  addFillers(corpus);
  return corpus;
}

/** Each paragraph's own lexical score for `claim` (no document evidence), by paragraph id. */
function ownScores(corpus: PassageCorpus, claim: string): Map<string, number> {
  return new Map(corpus.search(searchOptions(claim, 'lexical')).hits.map((h) => [h.paragraphId, h.score]));
}

function searchOptions(
  text: string,
  mode: SearchMode,
  extra: Partial<CorpusSearchOptions> = {},
): CorpusSearchOptions {
  return { mode, topK: 50, queryText: text, roleOf: () => 'prior-art', ...extra };
}

test('the relevance model: shares weighted by first-pass score, the best terms kept, summing to 1', () => {
  const model = relevanceModel(
    [
      { terms: ['valve', 'valve', 'seat', 'spring'], score: 3 },
      { terms: ['valve', 'piston'], score: 1 },
    ],
    3,
  );
  // P(t|R) ∝ Σ P(t|d)·P(d|q): valve 0.75·0.5 + 0.25·0.5 = 0.5, seat 0.75·0.25, spring 0.75·0.25, piston 0.25·0.5.
  assert.deepEqual([...model.keys()], ['valve', 'seat', 'spring']);
  const total = 0.5 + 0.1875 + 0.1875;
  assert.ok(Math.abs((model.get('valve') ?? 0) - 0.5 / total) < 1e-12);
  assert.ok(Math.abs([...model.values()].reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // A term the filter refuses never enters, whatever its weight.
  const filtered = relevanceModel([{ terms: ['valve', 'valve', 'seat'], score: 1 }], 5, (t) => t !== 'valve');
  assert.deepEqual([...filtered], [['seat', 1]]);
  assert.equal(relevanceModel([], 5).size, 0);
  assert.equal(relevanceModel([{ terms: ['valve'], score: 0 }], 5).size, 0);
});

test('feedback finds a paragraph that shares no word with the claim but the vocabulary of its best matches', () => {
  const corpus = new PassageCorpus(DIMS);
  // Two paragraphs match the claim's words and also speak of a "detent" and a "ratchet"; the third
  // describes the same mechanism in those words only.
  corpus.add(
    paragraph('/a.txt', 'a1', 'A latch with a pawl; the pawl engages a detent and a ratchet wheel.'),
  );
  corpus.add(paragraph('/a.txt', 'a2', 'The latch releases the pawl from the ratchet and the detent.'));
  corpus.add(paragraph('/b.txt', 'b1', 'A ratchet wheel held by a detent against rotation backwards.'));
  addFillers(corpus);
  const claim = 'A latch comprising a pawl.';
  const without = corpus.search(searchOptions(claim, 'lexical'));
  assert.ok(!without.hits.some((h) => h.paragraphId === 'b1'), 'no shared word: not found without feedback');
  assert.deepEqual(without.expansionTerms, []);
  assert.ok(without.hits.every((h) => h.feedbackTerms === undefined));

  const feedback: FeedbackOptions = { ...DEFAULT_FEEDBACK, maxDocumentShare: 0.5 };
  const withFeedback = corpus.search(searchOptions(claim, 'lexical', { feedback }));
  const found = withFeedback.hits.find((h) => h.paragraphId === 'b1');
  assert.ok(found, 'found through the terms feedback added');
  assert.deepEqual(found.matchedTerms, []);
  assert.deepEqual(found.feedbackTerms, ['ratchet', 'wheel', 'detent']);
  assert.ok(
    withFeedback.expansionTerms.includes('ratchet') && withFeedback.expansionTerms.includes('detent'),
  );
  // The claim's own words are never reported as added.
  assert.ok(!withFeedback.expansionTerms.includes('latch') && !withFeedback.expansionTerms.includes('pawl'));
  const first = withFeedback.hits[0];
  assert.equal(first?.paragraphId, 'a1');
  assert.deepEqual(first?.matchedTerms, ['latch', 'pawl']);
  assert.deepEqual(first?.feedbackTerms, ['engages', 'detent', 'ratchet', 'wheel']);
  // A cap below every expansion term's document share leaves the model without them: no expansion.
  const capped = corpus.search(
    searchOptions(claim, 'lexical', { feedback: { ...feedback, maxDocumentShare: 0.01 } }),
  );
  assert.deepEqual(capped.expansionTerms, []);
});

test('the expanded query scores exactly as BM25 over the interpolated query weights', () => {
  const analyzer = new Analyzer();
  const corpus = new PassageCorpus(DIMS, analyzer);
  const reference = new Bm25Index(PRODUCT_BM25);
  const texts = [
    'A latch with a pawl; the pawl engages a detent and a ratchet wheel.',
    'The latch releases the pawl from the ratchet and the detent.',
    'A ratchet wheel held by a detent against rotation backwards.',
    ...FILLER_TOPICS.map((t) => `A ${t}.`),
    'A pawl spring biasing the latch closed.',
  ];
  texts.forEach((text, i) => {
    corpus.add(paragraph(`/d${i % 4}.txt`, `p${i}`, text));
    reference.add(i, analyzer.terms(text));
  });
  const claim = 'A latch comprising a pawl and a pawl spring.';
  const feedback: FeedbackOptions = { paragraphs: 3, terms: 6, weight: 0.4, maxDocumentShare: 0.5 };
  const { hits } = corpus.search(searchOptions(claim, 'lexical', { feedback }));

  // The same expansion computed by hand: first pass, model from its best 3, interpolated weights.
  const claimTerms = analyzer.terms(claim);
  const firstPass = reference.search(claimTerms).sort((a, b) => b.score - a.score || a.slot - b.slot);
  const model = relevanceModel(
    firstPass.slice(0, 3).map((h) => ({ terms: analyzer.terms(texts[h.slot] as string), score: h.score })),
    6,
    (t) => reference.documentShare(t) <= 0.5,
  );
  const weights = new Map<string, number>();
  for (const t of claimTerms) weights.set(t, (weights.get(t) ?? 0) + 0.6 / claimTerms.length);
  for (const [t, w] of model) weights.set(t, (weights.get(t) ?? 0) + 0.4 * w);
  const expected = new Map(reference.search(weights).map((h) => [`p${h.slot}`, h]));
  assert.equal(hits.length, expected.size);
  for (const hit of hits) {
    const want = expected.get(hit.paragraphId);
    assert.ok(want, hit.paragraphId);
    assert.ok(Math.abs((hit.lexicalScore ?? NaN) - want.score) < 1e-9, `${hit.paragraphId} raw`);
    assert.ok(Math.abs(hit.score - want.normalized) < 1e-9, `${hit.paragraphId} normalised`);
  }
});

test('document evidence: (1 − w) · own + w · best of the other paragraphs, and the rest of a matched document', () => {
  const corpus = hingeCorpus();
  const claim = HINGE_CLAIM;
  const own = ownScores(corpus, claim);
  const w = 0.5;
  const { hits } = corpus.search(
    searchOptions(claim, 'lexical', { documents: { weight: w, from: 'others' } }),
  );
  const byId = new Map(hits.map((h) => [h.paragraphId, h]));
  const a1 = own.get('a1') ?? NaN;
  const a2 = own.get('a2') ?? NaN;
  const b1 = own.get('b1') ?? NaN;
  assert.ok(a1 > b1 && b1 > a2, `own scores a1 ${a1}, b1 ${b1}, a2 ${a2}`);
  const expect = (id: string, ownScore: number, other: number): void => {
    const hit = byId.get(id);
    assert.ok(hit, id);
    assert.ok(Math.abs(hit.score - ((1 - w) * ownScore + w * other)) < 1e-12, `${id} score`);
    assert.ok(Math.abs((hit.paragraphScore ?? NaN) - ownScore) < 1e-12, `${id} paragraphScore`);
    assert.ok(Math.abs((hit.documentScore ?? NaN) - other) < 1e-12, `${id} documentScore`);
  };
  expect('a1', a1, a2);
  expect('a2', a2, a1);
  expect('a3', 0, a1); // shares no word, but its document matches: listed, below its document's best
  expect('b1', b1, 0); // the only paragraph of its document
  // The weak paragraph of the strong document now ranks above the lone paragraph of the weaker one.
  const order = hits.map((h) => h.paragraphId);
  assert.ok(order.indexOf('a2') < order.indexOf('b1'), order.join(' '));
  // Documents without a match stay out; the one filler sharing "door" is its own document's best.
  assert.deepEqual(
    order.filter((id) => id.startsWith('f')),
    ['f9'],
  );
  // Off by default.
  assert.ok(corpus.search(searchOptions(claim, 'lexical')).hits.every((h) => h.documentScore === undefined));
});

test('document evidence works per document key: the documents of one bulk file are separate', () => {
  const corpus = new PassageCorpus(DIMS);
  corpus.add({ ...paragraph('/bulk.xml', 'x1', 'A hinge pin and a door leaf.'), documentKey: '/bulk.xml#0' });
  corpus.add({ ...paragraph('/bulk.xml', 'x2', 'Unrelated shipping notes.'), documentKey: '/bulk.xml#0' });
  corpus.add({ ...paragraph('/bulk.xml', 'y1', 'More shipping notes.'), documentKey: '/bulk.xml#1' });
  addFillers(corpus);
  const ids = corpus
    .search(searchOptions('A hinge pin', 'lexical', { documents: { weight: 0.5, from: 'others' } }))
    .hits.map((h) => h.paragraphId);
  assert.deepEqual(ids, ['x1', 'x2']);
  // After the matching paragraph is removed, its document no longer lends evidence.
  corpus.remove(0);
  assert.deepEqual(
    corpus.search(searchOptions('A hinge pin', 'lexical', { documents: { weight: 0.5, from: 'others' } }))
      .hits,
    [],
  );
});

test("document evidence from the document's best paragraph: the best keeps its score, the order inside a document holds", () => {
  const corpus = hingeCorpus();
  const claim = HINGE_CLAIM;
  const own = ownScores(corpus, claim);
  for (const weight of [0.5, 0.7, 0.9]) {
    const { hits } = corpus.search(searchOptions(claim, 'lexical', { documents: { weight, from: 'best' } }));
    const byId = new Map(hits.map((h) => [h.paragraphId, h]));
    const a1 = own.get('a1') ?? NaN;
    for (const [id, ownScore] of [
      ['a1', a1],
      ['a2', own.get('a2') ?? NaN],
      ['a3', 0],
    ] as const) {
      const hit = byId.get(id);
      assert.ok(hit, id);
      assert.ok(
        Math.abs(hit.score - ((1 - weight) * ownScore + weight * a1)) < 1e-12,
        `${id} at w ${weight}`,
      );
      assert.equal(hit.documentScore, a1);
    }
    assert.equal(byId.get('a1')?.score, a1, 'the best paragraph keeps its own score');
    const order = hits.map((h) => h.paragraphId).filter((id) => id.startsWith('a'));
    assert.deepEqual(order, ['a1', 'a2', 'a3'], `order inside the document at w ${weight}`);
  }
});

test('document evidence leaves out the documents it does not apply to (the index: the specification)', () => {
  const corpus = new PassageCorpus(DIMS);
  corpus.add(paragraph('/draft.md', 's1', 'A hinge pin holding a door leaf and a hinge knuckle.'));
  corpus.add(paragraph('/draft.md', 's2', 'The hinge is made of brass.'));
  corpus.add(paragraph('/draft.md', 's3', 'Packaging and shipping are not described here.'));
  corpus.add(paragraph('/a.txt', 'a1', 'A hinge and a knuckle of steel.'));
  corpus.add(paragraph('/a.txt', 'a2', 'Shipping notes.'));
  addFillers(corpus);
  const claim = HINGE_CLAIM;
  const own = ownScores(corpus, claim);
  const { hits } = corpus.search(
    searchOptions(claim, 'lexical', {
      documents: { weight: 0.7, from: 'best' },
      documentEvidenceFor: (record) => record.uri !== '/draft.md',
    }),
  );
  const byId = new Map(hits.map((h) => [h.paragraphId, h]));
  for (const id of ['s1', 's2']) {
    const hit = byId.get(id);
    assert.equal(hit?.score, own.get(id), `${id} keeps its own score`);
    assert.equal(hit?.documentScore, undefined);
    assert.equal(hit?.paragraphScore, undefined);
  }
  assert.ok(!byId.has('s3'), 'no word shared, and its document lends no evidence');
  assert.equal(byId.get('a1')?.documentScore, own.get('a1'));
  assert.ok(byId.has('a2'), 'the prior-art document still brings its other paragraph');
});
