/**
 * The search contract between the passage index (core) and the UI (extension + webviews).
 * Owned by the index; the UI renders `PassageHit`s and never computes scores itself.
 */
import type { SourceRange } from '../documents/model';

export type SearchMode = 'hybrid' | 'dense' | 'lexical';

/** Which documents a search looks at: the drafter's own specification, prior art, or both. */
export type DocumentRole = 'specification' | 'prior-art';

export interface SearchQuery {
  /** The claim text (display text; the index prepares its own match text). */
  text: string;
  mode?: SearchMode;
  topK?: number;
  /** Hits scoring below this are dropped. */
  minScore?: number;
  /** Leave out this document (normally the one the claim is in). */
  excludeUri?: string;
  /** Only documents under this folder (absolute path or URI prefix). */
  folder?: string;
  role?: DocumentRole | 'all';
  signal?: AbortSignal;
}

export interface PassageHit {
  /** The one number shown to users, in [0, 1]; its meaning per mode is documented in docs/search.md. */
  score: number;
  /** Cosine similarity of the normalised vectors, where the dense side ran. */
  denseScore?: number;
  /** The lexical (BM25) score, where the lexical side ran. */
  lexicalScore?: number;
  uri: string;
  /** A short label for the document: its publication number where known, else the file name. */
  documentLabel: string;
  role: DocumentRole;
  paragraphId: string;
  paragraphNumber?: string;
  text: string;
  range: SourceRange;
  /** Query terms (stemmed forms mapped back to the words in `text`) the passage shares with the claim. */
  matchedTerms: string[];
  /** Element-wise matching: which claim elements this passage matched best, with their scores. */
  elementMatches?: { element: string; score: number }[];
}

export interface SearchResponse {
  results: PassageHit[];
  /** Milliseconds spent in each stage (embed, dense, lexical, fuse, total). */
  timings: Record<string, number>;
}

export interface IndexStatus {
  state: 'idle' | 'indexing' | 'error';
  documents: number;
  paragraphs: number;
  modelId: string;
  progress?: { done: number; total: number };
  /** The last problem worth showing, already phrased for the user. */
  message?: string;
}
