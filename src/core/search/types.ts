/**
 * The search contract between the passage index (core) and the UI (extension + webviews).
 * Owned by the index (issue #6); the UI renders `PassageHit`s and never computes scores itself.
 *
 * For the UI (#7): the object to call is `PassageIndex` (src/core/index/passage-index.ts), which
 * implements `PassageSearchService` below. Stable since the first commit of #6; only optional fields
 * are added. Scores: see docs/search.md.
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
  /**
   * Element-wise matching: also match each claim element (the parts after "comprising", split at ";")
   * and fill `PassageHit.elementMatches`. Off unless set; see docs/search.md for what it costs/brings.
   */
  elements?: boolean;
  /**
   * Pseudo-relevance feedback (RM3) in the lexical and hybrid modes: the claim is expanded with the
   * characteristic terms of its first-pass best paragraphs. Default `FEEDBACK_BY_DEFAULT` (off: it did not
   * survive cross-validation beside document evidence, docs/notes/issue-11.md).
   */
  feedback?: boolean;
  /**
   * Document evidence in the lexical and hybrid modes: a paragraph's score is mixed with its document's
   * (the best paragraph's) score, `DEFAULT_DOCUMENT_EVIDENCE`. On unless `false`.
   */
  documentEvidence?: boolean;
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
  /**
   * The document's identity when its file holds several documents (a bulk file: `<uri>#<n>`); absent
   * when the file is the document. Citation keys are given per `documentKey ?? uri`.
   */
  documentKey?: string;
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
  /**
   * Words of `text` (in text order, once each) whose terms were added to the claim by feedback and are not
   * in the claim itself; absent when feedback did not run.
   */
  feedbackTerms?: string[];
  /**
   * The paragraph's own score, before its document's evidence was mixed in (same scale as `score`);
   * present where document evidence ran.
   */
  paragraphScore?: number;
  /**
   * The document's own match: the best own score of a paragraph of this hit's document (same scale as
   * `score`; see document-evidence.ts); present where document evidence ran.
   */
  documentScore?: number;
}

export interface SearchResponse {
  results: PassageHit[];
  /** Milliseconds spent in each stage (embed, dense, lexical, fuse, total). */
  timings: Record<string, number>;
  /** The mode that actually ran: a dense or hybrid search falls back to lexical if the model fails. */
  mode: SearchMode;
  /** Set when the results are partial or degraded (index still building, model unavailable). */
  notice?: string;
  /** The words feedback added to the claim (most weight first), where feedback ran. */
  expansionTerms?: string[];
}

export interface IndexStatus {
  state: 'idle' | 'indexing' | 'error';
  documents: number;
  paragraphs: number;
  modelId: string;
  progress?: { done: number; total: number };
  /** The last problem worth showing, already phrased for the user. */
  message?: string;
  /** Paragraphs whose vectors are still being computed (searchable lexically meanwhile). */
  pendingEmbeddings?: number;
  /** 'memory' when the cache could not be written to disk (the index still works, for this session). */
  storage?: 'disk' | 'memory';
  /** Files left out: over the size limit or unreadable (named in `message` and in the log). */
  skippedFiles?: number;
}

/** A file event, as the extension's watchers (or the CLI) report it. */
export type FileChange =
  { kind: 'created' | 'changed' | 'deleted'; uri: string } | { kind: 'renamed'; oldUri: string; uri: string };

export interface UpdateProgress {
  /** Work units done / total: files read, then paragraphs embedded. */
  done: number;
  total: number;
  message: string;
}

export interface UpdateOptions {
  signal?: AbortSignal;
  progress?: (progress: UpdateProgress) => void;
}

export interface UpdateResult {
  filesRead: number;
  filesRemoved: number;
  paragraphsEmbedded: number;
  /** True when the signal stopped the update; what was done is kept and the next update resumes. */
  cancelled: boolean;
}

export interface Disposable {
  dispose(): void;
}

/** What the UI calls. */
export interface PassageSearchService {
  /** Brings the index up to date: `'full'` rescans the source, a list handles watcher events. */
  update(changes: readonly FileChange[] | 'full', options?: UpdateOptions): Promise<UpdateResult>;
  search(query: SearchQuery): Promise<SearchResponse>;
  status(): IndexStatus;
  onDidChangeStatus(listener: (status: IndexStatus) => void): Disposable;
  dispose(): Promise<void>;
}
