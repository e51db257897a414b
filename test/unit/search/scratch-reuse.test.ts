import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PassageCorpus,
  type CorpusSearchOptions,
  type PassageRecord,
} from '../../../src/core/search/passage-corpus';
import { DEFAULT_FEEDBACK } from '../../../src/core/search/feedback';
import type { SearchMode } from '../../../src/core/search/types';

// Searches reuse their scratch arrays (docs/notes/issue-6.md, "Speed and memory"): a search must give
// exactly what the same search gives on a fresh corpus, whatever ran before it (other modes, filters,
// a larger or smaller corpus, an aborted search, overlapping sliced searches).

const DIMS = 16;
const WORDS = ['valve', 'piston', 'spring', 'housing', 'seal', 'shaft', 'sensor', 'battery', 'lever', 'gear'];

/** A deterministic pseudo-random number in [0, 1) from two integers. */
function noise(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

function vectorOf(i: number): Float32Array {
  const v = Float32Array.from({ length: DIMS }, (_, k) => noise(i, k) - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function record(i: number): PassageRecord {
  const words = Array.from({ length: 6 }, (_, k) => WORDS[Math.floor(noise(i, k + 100) * WORDS.length)]);
  const text = `The ${words.join(' and ')} of part ${i}.`;
  const range = { start: { line: i, character: 0 }, end: { line: i, character: text.length } };
  return {
    uri: `/ws/doc-${i % 7}.txt`,
    documentLabel: `doc-${i % 7}.txt`,
    paragraphId: `p${i}`,
    text,
    range: { ...range, startOffset: 0, endOffset: text.length },
    hash: `h${i}`,
  };
}

/** A corpus of `count` paragraphs; those whose index is a multiple of 5 have no vector yet. */
function corpusOf(count: number): PassageCorpus {
  const corpus = new PassageCorpus(DIMS);
  for (let i = 0; i < count; i++) {
    corpus.add(record(i));
    if (i % 5 !== 0) corpus.vectors.set(`h${i}`, [vectorOf(i)]);
  }
  return corpus;
}

function query(q: number, mode: SearchMode, extra: Partial<CorpusSearchOptions> = {}): CorpusSearchOptions {
  return {
    mode,
    topK: 5 + (q % 4),
    queryText: `${WORDS[q % WORDS.length]} ${WORDS[(q * 3 + 1) % WORDS.length]} housing`,
    queryVector: vectorOf(10_000 + q),
    roleOf: () => 'prior-art',
    ...extra,
  };
}

const modes: SearchMode[] = ['hybrid', 'lexical', 'dense'];

test('a reused corpus returns what a fresh corpus returns, for every mode, filter and size', async () => {
  const reused = corpusOf(300);
  for (let q = 0; q < 24; q++) {
    const mode = modes[q % 3] as SearchMode;
    const evidence: Partial<CorpusSearchOptions> =
      q % 2 === 0
        ? {
            feedback: { ...DEFAULT_FEEDBACK, maxDocumentShare: 1 },
            documents: { weight: 0.5, from: 'others' },
          }
        : {};
    const extra: Partial<CorpusSearchOptions> = {
      ...evidence,
      ...(q % 4 === 1
        ? { accept: (r) => r.uri !== '/ws/doc-3.txt' }
        : q % 4 === 2
          ? { minScore: 0.2 }
          : q % 4 === 3
            ? { fusion: { method: 'minmax', denseWeight: 0.5, rrfK: 60 } }
            : {}),
    };
    const expected = corpusOf(300).search(query(q, mode, extra));
    assert.deepEqual(reused.search(query(q, mode, extra)), expected, `query ${q} (${mode})`);
    assert.deepEqual(await reused.searchSliced(query(q, mode, extra)), expected, `sliced query ${q}`);
  }
  // Grown past the scratch arrays' size, then shrunk by removals: still the fresh corpus's answers.
  for (let i = 300; i < 900; i++) {
    reused.add(record(i));
    if (i % 5 !== 0) reused.vectors.set(`h${i}`, [vectorOf(i)]);
  }
  const grown = corpusOf(900);
  const withEvidence: Partial<CorpusSearchOptions> = {
    feedback: DEFAULT_FEEDBACK,
    documents: { weight: 0.7, from: 'best' },
  };
  for (const mode of modes) {
    assert.deepEqual(reused.search(query(7, mode)), grown.search(query(7, mode)));
    assert.deepEqual(reused.search(query(7, mode, withEvidence)), grown.search(query(7, mode, withEvidence)));
  }
  for (let slot = 0; slot < 900; slot += 2) {
    reused.remove(slot);
    grown.remove(slot);
  }
  for (const mode of modes) {
    assert.deepEqual(reused.search(query(8, mode)), grown.search(query(8, mode)));
    assert.deepEqual(reused.search(query(8, mode, withEvidence)), grown.search(query(8, mode, withEvidence)));
  }
});

test('an aborted search and overlapping sliced searches leave later results unchanged', async () => {
  const corpus = corpusOf(400);
  const fresh = corpusOf(400);
  const controller = new AbortController();
  const aborted = corpus.searchSliced(
    query(1, 'hybrid', { feedback: DEFAULT_FEEDBACK, documents: { weight: 0.5, from: 'others' } }),
    {},
    controller.signal,
  );
  controller.abort();
  await assert.rejects(aborted);
  const expected = modes.map((mode, q) => fresh.search(query(q, mode)));
  const together = await Promise.all(modes.map((mode, q) => corpus.searchSliced(query(q, mode))));
  assert.deepEqual(together, expected);
  assert.deepEqual(
    modes.map((mode, q) => corpus.search(query(q, mode))),
    expected,
  );
});
