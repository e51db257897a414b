/**
 * Pseudo-relevance feedback (RM3, Abdul-Jaleel et al. 2004): the claim is expanded with the terms that
 * characterise its first-pass best paragraphs. Claims and the prior art that anticipates them often
 * describe the same thing in different words; the best few matches bring those words in. Measured by
 * grouped cross-validation on the PatentMatch dev set (docs/notes/issue-11.md).
 */

export interface FeedbackOptions {
  /** How many first-pass best paragraphs are read. */
  paragraphs: number;
  /** How many terms the relevance model keeps. */
  terms: number;
  /** Share of the relevance model in the expanded query, in [0, 1]; the claim keeps the rest. */
  weight: number;
  /**
   * Terms in more than this share of all paragraphs are left out of the model ("device", "unit"): they
   * would dominate it by frequency alone and match everything. 1 keeps every term.
   */
  maxDocumentShare: number;
}

/**
 * Whether searches use feedback unless told otherwise. With document evidence on, grouped cross-validation
 * chose no feedback in every fold (docs/notes/issue-11.md): the best documents' paragraphs already bring
 * what feedback would add. Users can still turn it on (setting, `--feedback`).
 */
export const FEEDBACK_BY_DEFAULT = false;

/** Common RM3 numbers, not tuned: over a 54-setting grid (`eval --compare`) the folds disagreed. */
export const DEFAULT_FEEDBACK: FeedbackOptions = {
  paragraphs: 10,
  terms: 20,
  weight: 0.5,
  maxDocumentShare: 0.1,
};

export interface FeedbackParagraph {
  /** The paragraph's analysed terms, repeats kept. */
  terms: readonly string[];
  /** Its first-pass score (> 0). */
  score: number;
}

/**
 * The relevance model: P(t | R) ∝ Σ_d P(t | d) · P(d | claim), with P(t | d) the term's share of the
 * paragraph and P(d | claim) the paragraph's share of the first-pass scores. Keeps the `maxTerms` most
 * likely admitted terms (ties: the term first met), normalised to sum to 1.
 */
export function relevanceModel(
  paragraphs: readonly FeedbackParagraph[],
  maxTerms: number,
  /** Whether a term may enter the model (the document-share filter). */
  admit: (term: string) => boolean = () => true,
): Map<string, number> {
  const totalScore = paragraphs.reduce((sum, p) => sum + p.score, 0);
  const weights = new Map<string, number>();
  if (totalScore <= 0 || maxTerms <= 0) return weights;
  for (const paragraph of paragraphs) {
    if (paragraph.terms.length === 0 || paragraph.score <= 0) continue;
    const share = paragraph.score / totalScore / paragraph.terms.length;
    for (const term of paragraph.terms) {
      const weight = weights.get(term);
      if (weight !== undefined) weights.set(term, weight + share);
      else if (admit(term)) weights.set(term, share);
    }
  }
  const kept = [...weights].sort((a, b) => b[1] - a[1]).slice(0, maxTerms);
  const sum = kept.reduce((total, [, weight]) => total + weight, 0);
  return new Map(kept.map(([term, weight]) => [term, weight / sum]));
}
