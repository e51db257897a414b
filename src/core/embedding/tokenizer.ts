/**
 * The tokenizer seam. The engine needs only content token ids and the special tokens that frame a
 * sequence, so that it can truncate or cut windows itself and keep the special tokens of every sequence.
 * `tokenizer.json` (Hugging Face) is the default implementation; a model whose tokenizer it cannot
 * reproduce names another kind in its manifest (`"tokenizer": { "kind": ..., "file": ... }`), registered
 * in `tokenizerKinds` below. Kinds are code in this repository, never code loaded from a model folder.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFolderError } from './errors';
import type { ModelSpec } from './model-folder';
import { loadSentencePieceTokenizer, SENTENCEPIECE_KIND } from './sentencepiece';

export interface TextTokenizer {
  /** The content token ids of `text`, without special tokens. */
  tokenize(text: string): number[];
  /** Special token ids before the content of every sequence (e.g. [CLS]). */
  readonly prefix: readonly number[];
  /** Special token ids after the content of every sequence (e.g. [SEP]). */
  readonly suffix: readonly number[];
  /** The id put in padded positions (their attention mask is 0, so only its range matters). */
  readonly padId: number;
}

export type TokenizerFactory = (spec: ModelSpec) => Promise<TextTokenizer>;

/** Registered tokenizer implementations by manifest `tokenizer.kind`. */
export const tokenizerKinds: Record<string, TokenizerFactory> = {
  'tokenizer.json': loadTokenizerJson,
  /** USE-Lite's SentencePiece, reproduced id for id (the Hugging Face Unigram differs on ties). */
  [SENTENCEPIECE_KIND]: loadSentencePieceTokenizer,
};

export async function loadTokenizer(spec: ModelSpec): Promise<TextTokenizer> {
  const factory = tokenizerKinds[spec.tokenizer.kind];
  if (!factory) {
    throw new ModelFolderError(
      spec.folder,
      'unsupported',
      `tokenizer kind "${spec.tokenizer.kind}" is unknown (known: ${Object.keys(tokenizerKinds).join(', ')})`,
      'patent-passages.json',
    );
  }
  return factory(spec);
}

/** A Hugging Face `tokenizer.json` run by @huggingface/tokenizers. */
async function loadTokenizerJson(spec: ModelSpec): Promise<TextTokenizer> {
  const { folder, tokenizer: files } = spec;
  const parse = async (file: string): Promise<Record<string, unknown>> => {
    try {
      const value: unknown = JSON.parse(await readFile(join(folder, file), 'utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('expected a JSON object');
      return value as Record<string, unknown>;
    } catch (error) {
      throw new ModelFolderError(
        folder,
        'malformed',
        `cannot read the tokenizer (${(error as Error).message})`,
        file,
      );
    }
  };
  const json = await parse(files.file);
  const config = files.configFile ? await parse(files.configFile) : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    throw new ModelFolderError(
      folder,
      'malformed',
      `not a usable tokenizer (${(error as Error).message})`,
      files.file,
    );
  }

  // Find the special-token frame by encoding a probe with and without special tokens.
  const probe = 'the';
  let full: number[];
  let bare: number[];
  try {
    full = tokenizer.encode(probe).ids;
    bare = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  } catch (error) {
    throw new ModelFolderError(
      folder,
      'malformed',
      `the tokenizer fails on plain text (${(error as Error).message})`,
      files.file,
    );
  }
  const at = indexOfSequence(full, bare);
  if (bare.length === 0 || at < 0) {
    throw new ModelFolderError(
      folder,
      'unsupported',
      'cannot tell the special tokens from the text in its encodings',
      files.file,
    );
  }

  const padding = json.padding as { pad_id?: unknown } | null | undefined;
  const padId =
    typeof padding?.pad_id === 'number'
      ? padding.pad_id
      : (tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ?? 0);

  return {
    prefix: full.slice(0, at),
    suffix: full.slice(at + bare.length),
    padId,
    tokenize: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
  };
}

function indexOfSequence(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
