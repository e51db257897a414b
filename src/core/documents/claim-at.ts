import type { Claim, PatentDocument, Position, SourceRange } from './model';

function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * Binary search over the claims, which are in document order and do not overlap: `where(range)` says
 * whether the point sought lies before the range (< 0), after it (> 0) or in it (0).
 */
function findClaim(document: PatentDocument, where: (range: SourceRange) => number): Claim | undefined {
  const claims = document.claims;
  let low = 0;
  let high = claims.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const side = where(claims[mid]!.range);
    if (side < 0) high = mid - 1;
    else if (side > 0) low = mid + 1;
    else return claims[mid];
  }
  return undefined;
}

/**
 * The claim whose range holds `offset` (a cursor just after a claim's last character counts as in it), or
 * undefined.
 */
export function claimAtOffset(document: PatentDocument, offset: number): Claim | undefined {
  return findClaim(document, (range) => (offset < range.startOffset ? -1 : offset > range.endOffset ? 1 : 0));
}

/** The claim at an editor position (line and UTF-16 character), or undefined. */
export function claimAtPosition(document: PatentDocument, position: Position): Claim | undefined {
  return findClaim(document, (range) =>
    comparePositions(position, range.start) < 0 ? -1 : comparePositions(position, range.end) > 0 ? 1 : 0,
  );
}
