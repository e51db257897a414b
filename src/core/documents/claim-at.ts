import type { Claim, PatentDocument, Position } from './model';

function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * The claim whose range holds `offset` (a cursor just after a claim's last character counts as in it), or
 * undefined. Claims are in document order and do not overlap, so this is a binary search.
 */
export function claimAtOffset(document: PatentDocument, offset: number): Claim | undefined {
  const claims = document.claims;
  let low = 0;
  let high = claims.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const range = claims[mid]!.range;
    if (offset < range.startOffset) high = mid - 1;
    else if (offset > range.endOffset) low = mid + 1;
    else return claims[mid];
  }
  return undefined;
}

/** The claim at an editor position (line and UTF-16 character), or undefined. */
export function claimAtPosition(document: PatentDocument, position: Position): Claim | undefined {
  const claims = document.claims;
  let low = 0;
  let high = claims.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const range = claims[mid]!.range;
    if (comparePositions(position, range.start) < 0) high = mid - 1;
    else if (comparePositions(position, range.end) > 0) low = mid + 1;
    else return claims[mid];
  }
  return undefined;
}
