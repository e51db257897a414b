/** Why a document could not be read; stable codes the UI and CLI can branch on. */
export type DocumentProblem =
  | 'too-large'
  | 'empty'
  | 'binary'
  | 'unknown-format'
  | 'encoding'
  | 'malformed'
  | 'unreadable'
  /** The read ran past the per-document deadline (document-thread.ts) and was stopped. */
  | 'timeout';

/**
 * The one error every parser throws for bad input: it names the file and says what is wrong with it in
 * words meant for the user (no stack trace needed to act on it).
 */
export class DocumentError extends Error {
  constructor(
    readonly file: string,
    readonly problem: DocumentProblem,
    /** What is wrong, without the file name ("is not well-formed XML at line 3, …"). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
    this.name = 'DocumentError';
  }
}
