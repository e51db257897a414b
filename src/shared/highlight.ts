/**
 * Splitting a passage into plain and highlighted segments: the words it shares with the claim, and the words
 * pseudo-relevance feedback added to the claim.
 * Pure: the webview turns segments into text nodes and <mark>s (never HTML strings).
 */

/** Why a word is marked: it is in the claim (`shared`) or was added to the claim by feedback (`feedback`). */
export type SegmentKind = 'shared' | 'feedback';

export interface Segment {
  text: string;
  match: boolean;
  /** Present on a match. */
  kind?: SegmentKind;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The segments of `text` with every whole-word, case-insensitive occurrence of a term marked: `terms` as
 * shared with the claim, `feedbackTerms` as added by feedback (a word in both counts as shared: it is in the
 * claim). Longer terms win where terms overlap ("signal processor" before "signal").
 */
export function highlightSegments(
  text: string,
  terms: readonly string[],
  feedbackTerms: readonly string[] = [],
): Segment[] {
  const kinds = new Map<string, SegmentKind>();
  for (const t of feedbackTerms) if (t.trim()) kinds.set(t.trim().toLowerCase(), 'feedback');
  for (const t of terms) if (t.trim()) kinds.set(t.trim().toLowerCase(), 'shared');
  const cleaned = [
    ...new Set([...terms, ...feedbackTerms].map((t) => t.trim()).filter((t) => t.length > 0)),
  ].sort((a, b) => b.length - a.length);
  if (cleaned.length === 0 || text.length === 0) return [{ text, match: false }];
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${cleaned.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`,
    'giu',
  );
  const segments: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > at) segments.push({ text: text.slice(at, m.index), match: false });
    segments.push({ text: m[0], match: true, kind: kinds.get(m[0].toLowerCase()) ?? 'shared' });
    at = m.index + m[0].length;
  }
  if (at < text.length) segments.push({ text: text.slice(at), match: false });
  return segments;
}

const STOP_WORDS = new Set(
  (
    'a an and are as at be been being by for from has have having in into is it its of on or said such ' +
    'that the their then there these this those to was were which with wherein whereby comprising ' +
    'comprises comprise including includes claim claims one more least first second each further ' +
    'configured adapted means least when where while than other'
  ).split(' '),
);

/**
 * A fallback for hits that carry no matched terms (a dense-only search): the words of `passage` (three
 * letters or more, not stop words) that also occur in `query`, compared case-insensitively.
 */
export function sharedWords(query: string, passage: string): string[] {
  const words = (s: string): string[] => s.toLowerCase().match(/\p{L}[\p{L}\p{N}-]{2,}/gu) ?? [];
  const inQuery = new Set(words(query).filter((w) => !STOP_WORDS.has(w)));
  const found = new Set<string>();
  for (const word of words(passage)) if (inQuery.has(word)) found.add(word);
  return [...found];
}
