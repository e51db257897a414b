/**
 * Query texts built from claims: a dependent claim together with the claims it depends on, and a
 * claim's elements (the parts after "comprising", separated by ";").
 */
import type { PatentDocument } from '../documents/model';

export interface ClaimQueryOptions {
  /** Prepend the text of every claim this one depends on, transitively (root claim first). */
  withParents?: boolean;
}

/**
 * The text to search with for claim `claimNumber` of `document`: its match text (reference signs
 * stripped), preceded by its ancestors' when `withParents` is set. Undefined for an unknown claim.
 */
export function claimQueryText(
  document: PatentDocument,
  claimNumber: number,
  options: ClaimQueryOptions = {},
): string | undefined {
  const byNumber = new Map(document.claims.map((c) => [c.number, c]));
  const claim = byNumber.get(claimNumber);
  if (!claim) return undefined;
  if (!options.withParents || claim.dependsOn.length === 0) return claim.matchText;
  const order: number[] = [];
  const seen = new Set<number>();
  // Depth first over the dependencies, ancestors before descendants; `seen` guards against cycles in
  // malformed documents.
  const visit = (number: number): void => {
    if (seen.has(number)) return;
    seen.add(number);
    for (const parent of byNumber.get(number)?.dependsOn ?? []) visit(parent);
    order.push(number);
  };
  visit(claimNumber);
  return order
    .map((n) => byNumber.get(n)?.matchText)
    .filter((t): t is string => !!t)
    .join(' ');
}

export interface ClaimElements {
  /** The part before "comprising:" (or the whole claim when there is no such transition). */
  preamble: string;
  /** The elements, trimmed, in order; empty when the claim has no recognisable body. */
  elements: string[];
}

const TRANSITION =
  /\b(?:comprising|comprises|consisting of|consists of|including|characterized in that|characterised in that|wherein)\b:?/i;

/**
 * Splits a claim into elements: the body after the first transition phrase ("comprising", "consisting
 * of", "including", "characterised in that", "wherein"), at semicolons (and a trailing "and"). One-word
 * pieces are merged into the previous element: they are fragments, not elements.
 */
export function splitClaimElements(claim: string): ClaimElements {
  const match = TRANSITION.exec(claim);
  if (!match) return { preamble: claim.trim(), elements: [] };
  const preamble = claim.slice(0, match.index).trim();
  const body = claim.slice(match.index + match[0].length);
  const elements: string[] = [];
  // Without semicolons (a draft in progress, or text whose punctuation was lost) a long body is split
  // before "wherein"/"whereby" and at " and " between clauses instead.
  const pieces = body.includes(';')
    ? body.split(/;\s*(?:and\s+)?/)
    : body.split(/\s+(?=\b(?:wherein|whereby)\b)|,?\s+and\s+(?=(?:a|an|the|said|at least|one or more)\b)/i);
  for (const raw of pieces) {
    const element = raw.replace(/^[\s,:]+|[\s.,;]+$/g, '');
    if (!element) continue;
    if (element.split(/\s+/).length < 2 && elements.length) elements[elements.length - 1] += `; ${element}`;
    else elements.push(element);
  }
  return { preamble, elements };
}
