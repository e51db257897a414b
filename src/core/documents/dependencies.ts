/**
 * Claim dependencies read from a claim's own words: "the method of claim 1", "as claimed in claim 2",
 * "according to any one of claims 8 to 12", "claim 7, 8 or 9", "claims 1-10", "claims 1–3 and 5",
 * "any one of the preceding claims", and the German and French forms of EPO claims ("nach Anspruch 1",
 * "Ansprüche 1 bis 3", "selon la revendication 1", "revendications 1 à 3").
 *
 * Everything here is a single left-to-right scan with sticky regexes of bounded length: linear in the
 * text, whatever it holds.
 */

const CLAIM_WORD = /\b(?:claims?|anspr(?:ü|ue)chen?|anspruchs?|revendications?)\b/giu;
const NUMBER = /\s*(\d{1,5})(?![\d\p{L}]|[.,]\d)/uy;
const RANGE_WORD = /\s*(?:to|through|thru|until|bis|à|a|-|–|—)(?=[\s\d])/uy;
const LIST_WORD = /\s*(?:,\s*(?:and\/or|and|or|und|oder|et|ou)?|and\/or|and|or|und|oder|et|ou|&)(?=[\s\d])/uy;
const OPTIONAL_CLAIM_WORD = /\s*(?:claims?|anspr(?:ü|ue)chen?|anspruchs?|revendications?)?/iuy;

/** "any one of the preceding claims", "any preceding claim", "the previous claim", "vorhergehenden Ansprüche". */
const PRECEDING =
  /\b(?:preceding|previous|foregoing|above|aforementioned|prior)\s+(claims?)\b|\b(?:vorhergehenden|vorangehenden|vorstehenden|vorigen)\s+anspr(?:ü|ue)che?\b|\brevendications?\s+(?:pr[ée]c[ée]dentes?|ant[ée]rieures?)\b/giu;
/** Words just before a singular "preceding claim" that still mean all of them ("any preceding claim"). */
const ANY_BEFORE = /\b(?:any|one|all|each|either|anyone)\b[^.;]{0,20}$/i;

/**
 * The document's claim numbers, sorted and as a set, prepared once per list: a document's parser passes the
 * same list for every claim, and preparing it per claim made a document of many claims quadratic (20,000
 * claims took over three minutes).
 */
const preparedLists = new WeakMap<readonly number[], { sorted: number[]; set: Set<number> }>();
function knownClaims(existing: readonly number[]): { sorted: number[]; set: Set<number> } {
  let prepared = preparedLists.get(existing);
  if (!prepared) {
    const set = new Set(existing);
    prepared = { sorted: [...set].sort((a, b) => a - b), set };
    preparedLists.set(existing, prepared);
  }
  return prepared;
}

/** Index of the first number in `sorted` that is at least `value` (`sorted.length` when none is). */
function firstAtLeast(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((sorted[mid] ?? 0) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function match(regex: RegExp, text: string, at: number): RegExpExecArray | null {
  regex.lastIndex = at;
  return regex.exec(text);
}

/**
 * The claim numbers a claim's text refers to, sorted and without duplicates. `ownNumber` is never in the
 * result; with `existing`, only numbers of claims the document has are kept (ranges are cut to them).
 */
export function claimReferencesInText(
  text: string,
  ownNumber: number,
  existing?: readonly number[],
): number[] {
  const found = new Set<number>();
  const ranges: [number, number][] = [];

  let scannedTo = 0;
  for (const keyword of text.matchAll(CLAIM_WORD)) {
    // A keyword inside a list already read ("claim 1 or claim 2") adds nothing: skipping it keeps this linear.
    if (keyword.index < scannedTo) continue;
    let at = keyword.index + keyword[0].length;
    let first = match(NUMBER, text, at);
    if (!first) continue;
    let previous = Number(first[1]);
    found.add(previous);
    at = NUMBER.lastIndex;
    for (;;) {
      const range = match(RANGE_WORD, text, at);
      if (range) {
        const afterWord = match(OPTIONAL_CLAIM_WORD, text, RANGE_WORD.lastIndex);
        const end = match(NUMBER, text, afterWord ? OPTIONAL_CLAIM_WORD.lastIndex : RANGE_WORD.lastIndex);
        if (end) {
          const last = Number(end[1]);
          if (last >= previous) ranges.push([previous, last]);
          else found.add(last);
          previous = last;
          at = NUMBER.lastIndex;
          continue;
        }
        break;
      }
      const list = match(LIST_WORD, text, at);
      if (!list) break;
      const afterWord = match(OPTIONAL_CLAIM_WORD, text, LIST_WORD.lastIndex);
      first = match(NUMBER, text, afterWord ? OPTIONAL_CLAIM_WORD.lastIndex : LIST_WORD.lastIndex);
      if (!first) break;
      previous = Number(first[1]);
      found.add(previous);
      at = NUMBER.lastIndex;
    }
    scannedTo = at;
  }

  let allEarlier = false;
  for (const phrase of text.matchAll(PRECEDING)) {
    const plural = phrase[1] === undefined || /s$/i.test(phrase[1]);
    const before = text.slice(Math.max(0, phrase.index - 40), phrase.index);
    if (plural || ANY_BEFORE.test(before)) allEarlier = true;
    else if (ownNumber > 1) found.add(ownNumber - 1);
  }

  const prepared = existing ? knownClaims(existing) : undefined;
  const known = prepared?.sorted;
  if (allEarlier) {
    if (known) {
      for (let i = 0; i < known.length && (known[i] ?? 0) < ownNumber; i++) found.add(known[i] ?? 0);
    } else {
      for (let n = 1; n < ownNumber; n++) found.add(n);
    }
  }
  for (const [from, to] of ranges) {
    if (known) {
      // Only the claims inside the range are visited (binary search to its start): linear in the output.
      for (let i = firstAtLeast(known, from); i < known.length && (known[i] ?? 0) <= to; i++) {
        found.add(known[i] ?? 0);
      }
    } else {
      // Without the document's claim list, a range cannot be cut to real claims: cap it.
      for (let n = from; n <= Math.min(to, from + 1000); n++) found.add(n);
    }
  }
  found.delete(ownNumber);
  const knownSet = prepared?.set;
  const result = [...found].filter((n) => n > 0 && (!knownSet || knownSet.has(n)));
  return result.sort((a, b) => a - b);
}
