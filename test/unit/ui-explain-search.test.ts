/**
 * The "why" line on a real search: the core's lexical index over real USPTO and EPO documents from the
 * shared data, the hits mapped to the webviews' items as the extension maps them, then explained. What the
 * line names must be in the passage it explains. (The embedder is the hashing stand-in: a lexical search
 * never uses the vectors; the e2e suite runs the same with the real model.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassageIndex } from '../../src/core/index/passage-index';
import { DirectorySource } from '../../src/core/index/source';
import { silentLogger } from '../../src/core/logger';
import { toResultItems } from '../../src/extension/resultItems';
import { explain, explanationText } from '../../src/shared/explain';
import { groupByDocument } from '../../src/shared/grouping';
import { highlightSegments } from '../../src/shared/highlight';
import { HashingEmbedder, parse, workspaceWith } from './index/helpers';

const CLAIM =
  'A wearable patch for monitoring a physiological signal, comprising electrodes, an analog front end that ' +
  'digitises the signal into samples, a buffer memory, a radio, and a processor that stores the samples in ' +
  'the buffer while the radio is off and transmits them to a hub in a burst.';

const wordsOf = (text: string): Set<string> => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

test('each hit of a real lexical search says why it ranks: shared words, feedback words, document match', async () => {
  const dir = await workspaceWith([
    'uspto/US08926509.xml',
    'uspto/US07272630B2.xml',
    'uspto/US20050004437A1.xml',
    'ep/grant-v1-2-B2.xml',
  ]);
  const index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger: silentLogger,
  });
  try {
    await index.update('full');
    // Feedback on, as the setting patentPassages.search.feedback turns it on (the core's default is off).
    const response = await index.search({ text: CLAIM, mode: 'lexical', topK: 10, feedback: true });
    const items = toResultItems(response.results, CLAIM);
    assert.ok(items.length >= 5, `only ${items.length} hits`);
    for (const item of items) {
      const explanation = explain(item);
      const text = explanationText(explanation);
      assert.match(text, /^Shares: /, `rank ${item.rank}: "${text}"`);
      const passage = wordsOf(item.text);
      for (const word of explanation.shared.shown) {
        assert.ok(passage.has(word.toLowerCase()), `rank ${item.rank}: "${word}" is not in the passage`);
      }
      // Every shared word named is also marked in the passage text.
      const marked = new Set(
        highlightSegments(item.text, item.matchedTerms, item.feedbackTerms)
          .filter((s) => s.kind === 'shared')
          .map((s) => s.text.toLowerCase()),
      );
      for (const word of explanation.shared.shown) assert.ok(marked.has(word.toLowerCase()), word);
      // Document evidence is on by default: every hit has its document's match, on the score's scale.
      assert.ok(item.documentScore !== undefined && item.documentScore >= 0 && item.documentScore <= 1);
      assert.match(text, / · Document match [01]\.\d{3}/);
      // The words feedback added that the passage holds are named, in the passage, and marked apart.
      const feedbackMarked = new Set(
        highlightSegments(item.text, item.matchedTerms, item.feedbackTerms)
          .filter((s) => s.kind === 'feedback')
          .map((s) => s.text.toLowerCase()),
      );
      for (const word of explanation.feedback.shown) {
        assert.ok(
          passage.has(word.toLowerCase()),
          `rank ${item.rank}: feedback "${word}" is not in the passage`,
        );
        assert.ok(feedbackMarked.has(word.toLowerCase()), `rank ${item.rank}: feedback "${word}" not marked`);
      }
    }
    assert.ok((response.expansionTerms ?? []).length > 0, 'feedback added no word to the claim');
    assert.ok(
      items.some((i) => explain(i).feedback.shown.length > 0),
      'no hit holds a word feedback added',
    );
    // The groups hold every hit once, and the best document is the one of the best hit.
    const groups = groupByDocument(items);
    assert.equal(
      groups.reduce((n, g) => n + g.items.length, 0),
      items.length,
    );
    assert.equal(groups[0]!.items[0]!.rank, 1);

    // Both switched off: the hits carry neither part, and the line says only what is shared.
    const plain = await index.search({
      text: CLAIM,
      mode: 'lexical',
      topK: 10,
      feedback: false,
      documentEvidence: false,
    });
    for (const item of toResultItems(plain.results, CLAIM)) {
      assert.match(explanationText(explain(item)), /^Shares: [^·]+$/);
    }
    assert.equal(plain.expansionTerms, undefined);
    console.log(
      `rank 1: ${items[0]!.citationKey} ${items[0]!.documentLabel} — ${explanationText(explain(items[0]!))}`,
    );
  } finally {
    await index.dispose();
  }
});
