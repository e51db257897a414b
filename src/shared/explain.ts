/**
 * Why a passage ranks where it does, in words: the terms it shares with the claim, the terms feedback added
 * to the claim, and its document's own match. Pure: the webviews render the parts, the hover the text.
 * The UI computes no score here; it only words the numbers the index returned.
 */
import type { ResultItem } from './protocol';

export interface TermList {
  /** The terms shown, in the order given, each once (case-insensitively). */
  shown: string[];
  /** How many more there are. */
  more: number;
}

export interface Explanation {
  shared: TermList;
  feedback: TermList;
  /** The document's match (its best paragraph's own score), where document evidence ran. */
  documentScore?: number;
  /**
   * The paragraph's score before its document's evidence was mixed in; only where it differs visibly from
   * the displayed score (otherwise the evidence changed nothing worth saying).
   */
  paragraphScore?: number;
}

/** How many terms of each kind a "why" line names before it says "+N". */
export const MAX_TERMS = 6;

function termList(terms: readonly string[] | undefined, max: number): TermList {
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const term of terms ?? []) {
    const t = term.trim();
    if (!t || seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    unique.push(t);
  }
  return { shown: unique.slice(0, max), more: Math.max(0, unique.length - max) };
}

export type Explainable = Pick<
  ResultItem,
  'score' | 'matchedTerms' | 'feedbackTerms' | 'documentScore' | 'paragraphScore'
>;

export function explain(item: Explainable, maxTerms = MAX_TERMS): Explanation {
  const shared = termList(item.matchedTerms, maxTerms);
  // A word is either in the claim or added by feedback; the claim wins (the index should never give both).
  const inClaim = new Set((item.matchedTerms ?? []).map((t) => t.trim().toLowerCase()));
  const feedback = termList(
    item.feedbackTerms?.filter((t) => !inClaim.has(t.trim().toLowerCase())),
    maxTerms,
  );
  const explanation: Explanation = { shared, feedback };
  if (item.documentScore !== undefined) explanation.documentScore = item.documentScore;
  if (item.paragraphScore !== undefined && formatScore(item.paragraphScore) !== formatScore(item.score)) {
    explanation.paragraphScore = item.paragraphScore;
  }
  return explanation;
}

/** Scores as the UI prints them everywhere: three decimals. */
export const formatScore = (score: number): string => score.toFixed(3);

export const hasExplanation = (e: Explanation): boolean =>
  e.shared.shown.length > 0 || e.feedback.shown.length > 0 || e.documentScore !== undefined;

const listText = (list: TermList): string => list.shown.join(', ') + (list.more > 0 ? ` +${list.more}` : '');

/** The document part: "Document match 0.410 (paragraph alone 0.380)". */
export function documentPart(e: Explanation): string | undefined {
  if (e.documentScore === undefined) return undefined;
  const alone = e.paragraphScore !== undefined ? ` (paragraph alone ${formatScore(e.paragraphScore)})` : '';
  return `Document match ${formatScore(e.documentScore)}${alone}`;
}

/**
 * "Shares: radio, burst · Feedback: wireless · Document match 0.410 (paragraph alone 0.380)"; '' when there
 * is nothing to say. `brief` leaves out "paragraph alone" (the hover, which has little room).
 */
export function explanationText(e: Explanation, brief = false): string {
  const parts: string[] = [];
  if (e.shared.shown.length > 0) parts.push(`Shares: ${listText(e.shared)}`);
  if (e.feedback.shown.length > 0) parts.push(`Feedback: ${listText(e.feedback)}`);
  const document = documentPart(brief ? { ...e, paragraphScore: undefined } : e);
  if (document) parts.push(document);
  return parts.join(' · ');
}
