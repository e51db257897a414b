/**
 * The SentencePiece unigram tokenizer of Universal Sentence Encoder Lite, reproducing the TF.js
 * reference (`@energetic-ai/embeddings`) id for id, quirks included, because the model was run with those
 * ids: NFKC; a non-empty text gets a leading "▁" and every ASCII space becomes "▁" (no lower-casing, no
 * collapsing of spaces); the best segmentation by summed piece scores, where for each end position the
 * candidates are taken in order of their start and a later one wins a tie, and a best score of exactly 0
 * counts as "none yet"; a character that starts no piece is the unknown id, and a run of unknowns is one
 * id. Hugging Face's Unigram differs on ties, on texts that start with zero-score pieces (": ...") and on
 * the unknown's score, hence this implementation.
 *
 * It reads the `model` of a Hugging Face Unigram `tokenizer.json` (`vocab`: [piece, score][], `unk_id`),
 * the form the model build writes, so one file serves both readers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFolderError } from './errors';
import type { ModelSpec } from './model-folder';
import type { TextTokenizer } from './tokenizer';

/** The manifest's `tokenizer.kind` for this implementation. */
export const SENTENCEPIECE_KIND = 'sentencepiece-unigram';

const SPACE_MARK = '\u2581';

interface TrieNode {
  children: Map<string, TrieNode>;
  /** The piece ending here, or -1. */
  id: number;
  score: number;
}

export class SentencePieceUnigram {
  private readonly root: TrieNode = newNode();

  /**
   * `pieces[id]` = [piece, score]; a null score counts as 0 (as in the reference). The unknown piece is
   * never matched; a later duplicate of a piece replaces the earlier one.
   */
  constructor(
    pieces: readonly (readonly [string, number | null])[],
    readonly unknownId: number,
  ) {
    pieces.forEach(([piece, score], id) => {
      if (id === unknownId || piece.length === 0) return;
      let node = this.root;
      for (const symbol of piece) {
        let child = node.children.get(symbol);
        if (!child) {
          child = newNode();
          node.children.set(symbol, child);
        }
        node = child;
      }
      node.id = id;
      node.score = score ?? 0;
    });
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const symbols = Array.from(SPACE_MARK + normalized.replaceAll(' ', SPACE_MARK));
    const n = symbols.length;
    const best = new Float64Array(n + 1);
    const bestId = new Int32Array(n + 1);
    const bestLength = new Int32Array(n + 1);

    // Forward over start positions: every candidate ending at `end` is seen in order of its start, as
    // the reference sees them, and best[start] is final before any candidate starting there is scored.
    const offer = (end: number, id: number, length: number, score: number): void => {
      if (best[end] === 0 || score >= (best[end] as number)) {
        best[end] = score;
        bestId[end] = id;
        bestLength[end] = length;
      }
    };
    for (let start = 0; start < n; start++) {
      const base = best[start] as number;
      let node: TrieNode | undefined = this.root;
      let matched = false;
      for (let end = start; end < n && node; end++) {
        node = node.children.get(symbols[end] as string);
        if (node && node.id >= 0) {
          matched = true;
          offer(end + 1, node.id, end + 1 - start, node.score + base);
        }
      }
      if (!matched) offer(start + 1, this.unknownId, 1, base);
    }

    const reversed: number[] = [];
    for (let end = n; end > 0; end -= bestLength[end] as number) reversed.push(bestId[end] as number);
    const ids: number[] = [];
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i] as number;
      if (id === this.unknownId && ids[ids.length - 1] === this.unknownId) continue; // one id per run of unknowns
      ids.push(id);
    }
    return ids;
  }
}

function newNode(): TrieNode {
  return { children: new Map(), id: -1, score: 0 };
}

/** Reads the Unigram model of a `tokenizer.json`; errors say what is wrong with which file. */
export function parseUnigramTokenizerJson(json: unknown, where: string): SentencePieceUnigram {
  const model = (json as { model?: unknown } | null)?.model as
    { type?: unknown; vocab?: unknown; unk_id?: unknown } | undefined;
  if (!model || model.type !== 'Unigram')
    throw new Error(`${where}: not a Unigram tokenizer (model.type must be "Unigram")`);
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length === 0)
    throw new Error(`${where}: model.vocab must be a non-empty list`);
  for (const [i, entry] of vocab.entries()) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      (entry[1] !== null && typeof entry[1] !== 'number')
    ) {
      throw new Error(`${where}: model.vocab[${i}] must be [piece, score]`);
    }
  }
  const unk = model.unk_id;
  if (typeof unk !== 'number' || !Number.isInteger(unk) || unk < 0 || unk >= vocab.length) {
    throw new Error(`${where}: model.unk_id must be an id in the vocabulary`);
  }
  return new SentencePieceUnigram(vocab as [string, number | null][], unk);
}

/** The engine's `TextTokenizer` for a model folder whose manifest names `sentencepiece-unigram`. */
export async function loadSentencePieceTokenizer(spec: ModelSpec): Promise<TextTokenizer> {
  const file = spec.tokenizer.file;
  let tokenizer: SentencePieceUnigram;
  try {
    tokenizer = parseUnigramTokenizerJson(JSON.parse(await readFile(join(spec.folder, file), 'utf8')), file);
  } catch (error) {
    throw new ModelFolderError(
      spec.folder,
      'malformed',
      `cannot read the SentencePiece tokenizer (${(error as Error).message})`,
      file,
    );
  }
  // USE-Lite frames no sequence with special tokens; padding is masked, so its id only has to be valid.
  return { prefix: [], suffix: [], padId: 0, tokenize: (text) => tokenizer.encode(text) };
}
