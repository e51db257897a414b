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

  const known = existing ? [...new Set(existing)].sort((a, b) => a - b) : undefined;
  if (allEarlier) {
    if (known) {
      for (const n of known) if (n < ownNumber) found.add(n);
    } else {
      for (let n = 1; n < ownNumber; n++) found.add(n);
    }
  }
  for (const [from, to] of ranges) {
    if (known) {
      for (const n of known) if (n >= from && n <= to) found.add(n);
    } else {
      // Without the document's claim list, a range cannot be cut to real claims: cap it.
      for (let n = from; n <= Math.min(to, from + 1000); n++) found.add(n);
    }
  }
  found.delete(ownNumber);
  const knownSet = known ? new Set(known) : undefined;
  const result = [...found].filter((n) => n > 0 && (!knownSet || knownSet.has(n)));
  return result.sort((a, b) => a - b);
}
