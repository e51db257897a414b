/**
 * Lexical analysis for BM25: words lower-cased, stop words and pure numbers dropped, light suffix
 * folding so that "fastening"/"fastened"/"fasteners" meet. Each step was re-examined by grouped
 * cross-validation over applications (docs/notes/issue-11.md) and kept only where it held out of fold.
 */
import { crc32 } from 'node:zlib';

/** English function words (the common NLTK list). The plain BM25 baseline uses exactly this list. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her ' +
    'hers herself it its itself they them their theirs themselves what which who whom this that these ' +
    'those am is are was were be been being have has had having do does did doing a an the and but if or ' +
    'because as until while of at by for with about against between into through during before after ' +
    'above below to from up down in out on off over under again further then once here there when where ' +
    'why how all any both each few more most other some such no nor not only own same so than too very s ' +
    't can will just don should now'
  ).split(' '),
);

/** Claim boilerplate that says nothing about the invention; dropping it helps BM25 on claims. */
const PATENT_STOP_WORDS = [
  'said',
  'wherein',
  'whereby',
  'claim',
  'claims',
  'comprising',
  'comprises',
  'according',
  'least',
  'one',
  'preceding',
  'characterized',
  'characterised',
];

export interface AnalyzerOptions {
  /** Also drop claim boilerplate ("said", "wherein", "comprising", ...). */
  patentStopWords?: boolean;
  /** Fold common English suffixes (plural, -ing, -ed, -ly, ...). */
  stem?: boolean;
  /** Split glued reference numerals off words: "body102" → "body". */
  splitDigits?: boolean;
}

/**
 * The analyzer the product uses; `BASELINE_ANALYZER` is the plain BM25 of ../shared/data/README.md.
 * With feedback, document evidence and `PRODUCT_BM25`, grouped cross-validation chose all three steps in
 * every fold (docs/notes/issue-11.md).
 */
export const PRODUCT_ANALYZER: Required<AnalyzerOptions> = {
  patentStopWords: true,
  stem: true,
  splitDigits: true,
};
export const BASELINE_ANALYZER: Required<AnalyzerOptions> = {
  patentStopWords: false,
  stem: false,
  splitDigits: false,
};

const WORD = /[\p{L}\p{N}]+/gu;
const LETTERS_DIGITS = /\p{L}+|\p{N}+/gu;
const PURE_NUMBER = /^\p{N}+$/u;

/** One analysed word with where it came from in the text (for highlighting). */
export interface Token {
  term: string;
  start: number;
  end: number;
}

/** Folds regular English suffixes; deliberately conservative (no dictionary): precision over recall. */
export function foldSuffix(word: string): string {
  if (word.length <= 4) return word;
  if (word.endsWith('ies') && word.length > 5) return word.slice(0, -3) + 'y';
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ing') && word.length > 6) return trimDouble(word.slice(0, -3));
  if (word.endsWith('edly') && word.length > 7) return trimDouble(word.slice(0, -4));
  if (word.endsWith('ed') && word.length > 5) return trimDouble(word.slice(0, -2));
  if (word.endsWith('ly') && word.length > 5) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

/** "stopp" → "stop", but keep "roll", "press": only double consonants other than l, s, z. */
function trimDouble(stem: string): string {
  const n = stem.length;
  if (
    n > 3 &&
    stem[n - 1] === stem[n - 2] &&
    !'lsz'.includes(stem[n - 1] ?? '') &&
    !'aeiou'.includes(stem[n - 1] ?? '')
  ) {
    return stem.slice(0, -1);
  }
  return stem;
}

/**
 * Bump when `terms` changes in a way its options do not show (the suffix folding, the word pattern): the
 * cache's stored postings are keyed by `Analyzer.identity`, and a stale key makes them rebuilt from texts.
 */
const ANALYZER_REVISION = 1;

export class Analyzer {
  private readonly stopWords: ReadonlySet<string>;
  private identityText: string | undefined;

  constructor(readonly options: Required<AnalyzerOptions> = PRODUCT_ANALYZER) {
    this.stopWords = options.patentStopWords
      ? new Set([...ENGLISH_STOP_WORDS, ...PATENT_STOP_WORDS])
      : ENGLISH_STOP_WORDS;
  }

  /** What decides the terms of a text: revision, options and a hash of the stop-word list. */
  get identity(): string {
    this.identityText ??= `analyzer-${ANALYZER_REVISION};${JSON.stringify(this.options)};stop-words:${crc32(
      [...this.stopWords].sort().join(' '),
    ).toString(16)}`;
    return this.identityText;
  }

  /** The analysed terms of a text, in order, repeats kept (BM25 counts them). */
  terms(text: string): string[] {
    // The same as tokens().map(t => t.term) without an object per word: indexing 100k paragraphs
    // analyses millions of words, and the garbage showed up as GC pauses.
    const result: string[] = [];
    const pattern = this.options.splitDigits ? LETTERS_DIGITS : WORD;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const word = match[0].toLowerCase();
      if (PURE_NUMBER.test(word) || this.stopWords.has(word)) continue;
      const term = this.options.stem ? foldSuffix(word) : word;
      if (!this.stopWords.has(term)) result.push(term);
    }
    return result;
  }

  tokens(text: string): Token[] {
    const result: Token[] = [];
    const pattern = this.options.splitDigits ? LETTERS_DIGITS : WORD;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const word = match[0].toLowerCase();
      if (PURE_NUMBER.test(word) || this.stopWords.has(word)) continue;
      const term = this.options.stem ? foldSuffix(word) : word;
      if (this.stopWords.has(term)) continue;
      result.push({ term, start: match.index, end: match.index + match[0].length });
    }
    return result;
  }
}
