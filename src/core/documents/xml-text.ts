/**
 * Small helpers the XML format parsers share: text of an element with a format's own block elements
 * spaced, numbers from ids, a claim's printed number.
 */
import { normalizeWhitespace } from './source-text';
import type { XmlElement, XmlNode } from './xml';

/** Elements of every patent XML format that hold a block of their own (tables, formulas, lists). */
const COMMON_BLOCKS = new Set([
  'p', 'paragraph', 'claim-text', 'heading', 'li', 'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'tables', 'tgroup',
  'thead', 'tbody', 'row', 'entry', 'maths', 'math', 'mrow', 'mi', 'mo', 'mn', 'mtext', 'mtd', 'mtr', 'br',
  'img', 'figure', 'chemistry', 'title',
]); // prettier-ignore

/**
 * The element's text, whitespace collapsed. Elements named in `blocks` (the format's own paragraph-like
 * elements) and the common block elements are kept apart from the words around them; inline markup joins
 * its words, and so does every element named in `inline`, block markup inside it included; elements named
 * in `skip` are left out. One pass over the subtree (an `inline` element's subtree is read once more).
 */
export function elementText(
  element: XmlElement | undefined,
  blocks: ReadonlySet<string> = new Set(),
  skip: ReadonlySet<string> = new Set(),
  inline: ReadonlySet<string> = new Set(),
): string {
  if (!element) return '';
  const parts: string[] = [];
  const stack: (XmlNode | null)[] = [element];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) continue;
    if (node === null) {
      parts.push(' ');
      continue;
    }
    if (typeof node === 'string') {
      parts.push(node);
      continue;
    }
    if (node !== element && skip.has(node.name)) continue;
    if (node !== element && inline.has(node.name)) {
      // A reference inside running text ("of <ref><claim-text>claim 1</claim-text></ref>, wherein"): its
      // words join the sentence, whatever block markup it wraps them in.
      parts.push(elementText(node).replace(/^ | $/g, ''));
      continue;
    }
    if (blocks.has(node.name) || COMMON_BLOCKS.has(node.name)) {
      parts.push(' ');
      stack.push(null);
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as XmlNode);
  }
  return normalizeWhitespace(parts.join(''));
}

/** The number in an id such as "CLM-00012" or "P-00003" (12, 3), if it has one. */
export function numberInId(id: string | undefined): number | undefined {
  const digits = /(\d{1,9})\s*$/.exec(id ?? '')?.[1];
  if (digits === undefined) return undefined;
  const value = Number(digits);
  return value > 0 ? value : undefined;
}

/** A paragraph number written as US publications print it: at least four digits ("0003"). */
export function paragraphNumberText(value: number): string {
  return String(value).padStart(4, '0');
}

/**
 * Splits the printed number off a claim's text ("2. The method of claim 1" → 2, "The method of claim 1").
 * `expected` (from the markup) wins when the text starts with another number.
 */
export function splitClaimNumber(
  full: string,
  expected: number | undefined,
): { printed?: number; body: string } {
  const lead = /^(\d{1,4})\s*[.)]\s*/.exec(full);
  if (!lead) return { body: full };
  const printed = Number(lead[1]);
  if (expected !== undefined && printed !== expected) return { body: full };
  return { printed, body: full.slice(lead[0].length) };
}
