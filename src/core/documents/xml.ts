import { SaxesParser } from 'saxes';
import { DocumentError } from './errors';

/** An element of a parsed XML file with the UTF-16 offsets of its markup in the source text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Offset of the `<` of the start tag. */
  start: number;
  /** Offset just past the `>` of the end tag (or of the self-closing tag). */
  end: number;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

/** Real patent XML nests about 20 deep; far deeper is an attack or a broken file, and would exhaust the stack. */
const MAX_DEPTH = 500;

/**
 * Parses XML text into a light tree with source offsets. Uses saxes, which never reads a DTD: external
 * entities are not fetched and entities declared in the internal subset are not expanded (they stay as
 * written, `&name;`), so entity bombs cost nothing. Predefined and numeric character references are
 * decoded. Anything else that is not well-formed is a `DocumentError` naming the line and column.
 */
export function parseXml(text: string, file: string, signal?: AbortSignal): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let sinceAbortCheck = 0;

  parser.on('error', (error) => {
    // An entity the DTD would define (`&mdash;` in old USPTO files): keep the text as written.
    if (/undefined entity/.test(error.message)) return;
    const where = /^(\d+):(\d+): /.exec(error.message);
    const detail = error.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    const at = where ? ` at line ${where[1]}, column ${Number(where[2]) + 1}` : '';
    throw new DocumentError(file, 'malformed', `is not well-formed XML${at}: ${detail}.`);
  });
  parser.on('opentagstart', (tag) => {
    let start = parser.position - tag.name.length - 2;
    if (text[start] !== '<') start = text.lastIndexOf('<', parser.position);
    const element: XmlElement = { name: tag.name, attributes: {}, start, end: -1, children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
    if (stack.length > MAX_DEPTH) {
      throw new DocumentError(file, 'malformed', `nests XML elements more than ${MAX_DEPTH} deep.`);
    }
    if (++sinceAbortCheck >= 4096) {
      sinceAbortCheck = 0;
      signal?.throwIfAborted();
    }
  });
  parser.on('attribute', (attribute) => {
    const element = stack[stack.length - 1];
    if (element) element.attributes[attribute.name] = attribute.value;
  });
  parser.on('closetag', () => {
    const element = stack.pop();
    if (element) element.end = parser.position;
  });
  parser.on('text', (value) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(value);
  });
  parser.on('cdata', (value) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(value);
  });

  parser.write(text).close();
  if (!root) throw new DocumentError(file, 'malformed', 'holds no XML element.');
  return root;
}

/** Elements named `name` below `element` (document order), not looking inside a match. */
export function findAll(element: XmlElement, name: string | ((e: XmlElement) => boolean)): XmlElement[] {
  const test = typeof name === 'string' ? (e: XmlElement) => e.name === name : name;
  const found: XmlElement[] = [];
  const stack: XmlNode[] = [...element.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined || typeof node === 'string') continue;
    if (test(node)) {
      found.push(node);
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as XmlNode);
  }
  return found;
}

/** The first element named `name` below `element` (document order); stops there. */
export function findFirst(element: XmlElement, name: string): XmlElement | undefined {
  const stack: XmlNode[] = [...element.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined || typeof node === 'string') continue;
    if (node.name === name) return node;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as XmlNode);
  }
  return undefined;
}

/** Elements that start a new block of text: their text is kept apart from the words around them. */
const BLOCK_ELEMENTS = new Set([
  'p', 'claim-text', 'li', 'ul', 'ol', 'dl', 'dt', 'dd', 'heading', 'tables', 'table', 'tgroup', 'thead', 'tbody',
  'row', 'entry', 'maths', 'math', 'mrow', 'mi', 'mo', 'mn', 'mtext', 'mtd', 'mtr', 'br', 'img', 'figure',
  'chemistry', 'title', 'B542',
]); // prettier-ignore

const BLOCK_END = Symbol('block end');

/** The text of an element, markup removed: inline markup (`<b>`, `<sub>`, `<figref>`) joins, blocks are spaced. */
export function textContent(element: XmlElement): string {
  const parts: string[] = [];
  const stack: (XmlNode | typeof BLOCK_END)[] = [element];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) continue;
    if (node === BLOCK_END) {
      parts.push(' ');
      continue;
    }
    if (typeof node === 'string') {
      parts.push(node);
      continue;
    }
    const block = BLOCK_ELEMENTS.has(node.name);
    if (block) {
      parts.push(' ');
      stack.push(BLOCK_END);
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as XmlNode);
  }
  return parts.join('');
}
