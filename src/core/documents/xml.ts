import { DocumentError } from './errors';
import { LineIndex } from './source-text';
import { NAMED_ENTITIES } from './xml-entities';

/** An element of a parsed XML file with the UTF-16 offsets of its markup in the source text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Offset of the `<` of the start tag. */
  start: number;
  /**
   * Offset just past the `>` of the end tag (or of the self-closing tag). For an element whose end tag is
   * missing: the offset of the end tag that closed it instead, or the end of the text.
   */
  end: number;
  children: XmlNode[];
  /** The text ends inside this element (a truncated file): its content is cut. */
  truncated?: true;
  /** On the root only, when the text was not well-formed and was repaired: what was repaired. */
  repairs?: XmlRepairs;
}
export type XmlNode = XmlElement | string;

/** What recovery repaired in a damaged file: the first repair (exact place) and how many there were. */
export interface XmlRepairs {
  count: number;
  /** What the first repair was, e.g. `bare "&"`. */
  first: string;
  /** Where: 1-based line and 1-based column in UTF-16 code units, as an editor shows the cursor. */
  line: number;
  column: number;
}

/** Real patent XML nests about 20 deep; far deeper is an attack or a broken file, and would exhaust the stack. */
export const MAX_XML_DEPTH = 500;
/**
 * Elements in one file. The shared US and EPO files have 191 to 4,281 elements, one per 46 (ST.32 grant) to
 * 167 bytes; at the densest, a document at the 20 MB file limit would have about 460,000. A million leaves
 * twice that and 230 times the largest sample, and stops a file of 19 MB of `<p/>` (4.75 million elements)
 * in 1–2 s and about 170 MB instead of filling memory (`scripts/bench/xml.ts`).
 */
export const MAX_XML_ELEMENTS = 1_000_000;
/**
 * Characters of text kept from one file. Decoding never makes text longer than its source (no entity is
 * expanded; a character reference is longer than its character), so this only bounds an editor's text
 * that skipped the file-size check.
 */
export const MAX_XML_TEXT = 32 * 1024 * 1024;

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

const NAME_START = 'A-Za-z_:\\u00C0-\\uFFFF';
const NAME_CHAR = `${NAME_START}\\d.\\-\\u00B7`;
/** A character or entity reference at a `&` (sticky; at most 100 characters looked at). */
const REFERENCE = new RegExp(
  `&(?:#(\\d{1,7})|#[xX]([\\dA-Fa-f]{1,6})|([${NAME_START}][${NAME_CHAR}]{0,99}));`,
  'y',
);
/** `name = value` inside a start tag, the value quoted or (damaged) not. */
const ATTRIBUTE = new RegExp(
  `([${NAME_START}][${NAME_CHAR}]*)\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'<>=/]+))?`,
  'y',
);
const LINE_BREAK_OR_TAB = /[\t\n\r]/;
const ENTITY_DECLARATION = /<!ENTITY\s+(%\s+)?([^\s"'>%]+)/y;
const NOT_SPACE = /\S/g;

/** Characters that may start an XML name (the ASCII ones exactly; all of U+00C0 and above, leniently). */
function isNameStart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58 || code >= 0xc0
  );
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57) || code === 45 || code === 46 || code === 0xb7;
}

/** The end of the XML name starting at `from` (`from` itself when none starts there). */
function nameEnd(text: string, from: number): number {
  if (!isNameStart(text.charCodeAt(from))) return from;
  let i = from + 1;
  while (isNameChar(text.charCodeAt(i))) i++;
  return i;
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** 1-based line and column (UTF-16 code units) of an offset, counted as the editor and the ranges count. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const { line, character } = new LineIndex(text).positionAt(offset);
  return { line: line + 1, column: character + 1 };
}

/** The one warning a repaired file gets: the first repair with its place, and how many more there were. */
export function xmlRepairWarning(file: string, repairs: XmlRepairs): string {
  const more = repairs.count - 1;
  const tail = more > 0 ? ` (and ${more} more repair${more > 1 ? 's' : ''})` : '';
  return `${file}: repaired damaged XML — ${repairs.first} at line ${repairs.line}, column ${repairs.column}${tail}.`;
}

/** The error for a file too damaged to give anything: where the first fault is and what it is. */
export function xmlDamageError(file: string, repairs: XmlRepairs): DocumentError {
  return new DocumentError(
    file,
    'malformed',
    `is not well-formed XML at line ${repairs.line}, column ${repairs.column}: ${repairs.first}.`,
  );
}

/**
 * The attributes of every element that has none: one shared frozen object keeps a tree of millions of
 * elements lighter.
 */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({});

/**
 * Paragraphs and claims of the patent formats never contain one of their own kind directly, so a start tag
 * of one inside another means the end tag before it is missing (as HTML closes a `<p>`). `claim-text` and
 * the like do nest, and are not here.
 */
const NEVER_NESTED = new Set(['p', 'claim', 'PARA', 'CLM', 'paragraph']);

/** Returned by a markup reader: not markup after all, the `<` is text. */
const NOT_MARKUP = -1;
/** Returned by a markup reader: the text ends inside this markup. */
const CUT_OFF = -2;

/**
 * Parses XML text into a light tree with source offsets, recovering from damage the way lenient parsers
 * (libxml2's recover mode, browsers) do, with every offset still exact:
 *
 * - a bare `&` (not starting a reference) stays a literal `&`; a stray `<` that starts no tag stays a `<`;
 * - an end tag that does not match closes the open elements up to the one it names (they end where it
 *   starts), or is dropped when no open element has that name;
 * - a truncated text closes what is open at its end and marks those elements `truncated`;
 * - an unquoted attribute value is taken up to the next space or `>`.
 *
 * What was repaired is on the root as `repairs` (see `xmlRepairWarning`). Entities: the five predefined
 * ones and character references are decoded, and so are the common HTML/ISO entities of `NAMED_ENTITIES`
 * (`&mdash;`), which patent DTDs declare; any other entity stays as written. No DTD is ever read:
 * external entities are never fetched, entities declared in the internal subset are never expanded, so
 * entity bombs cost nothing. An entity neither in that table nor declared in the internal subset is kept
 * as written and counted as a repair (we cannot tell what it stands for). Throws `DocumentError` when there is no element at all, when
 * nesting goes deeper than `MAX_XML_DEPTH` (malformed) or a file exceeds `MAX_XML_ELEMENTS` or
 * `MAX_XML_TEXT` (too-large).
 */
export function parseXml(text: string, file: string, signal?: AbortSignal): XmlElement {
  const length = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let rootClosed = false;
  let repairCount = 0;
  let firstRepair: { offset: number; what: string } | undefined;
  const declaredEntities = new Set<string>();
  let elementCount = 0;
  let textCount = 0;
  let textFrom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let position = textFrom;
  /** Where the text ends inside markup that was cut off; `length` when it ends between markup. */
  let cutAt = length;
  let stopped = false;
  const hasCarriageReturn = text.includes('\r');

  const repair = (offset: number, what: string): void => {
    if (repairCount++ === 0) firstRepair = { offset, what };
  };

  // No `&` lies in [ampSearchedFrom, nextAmp) (to the end when nextAmp is -1). Text runs and attribute
  // values come mostly in document order, so searching afresh from each would scan to the next `&` of the
  // whole file every time (quadratic in a file with few `&`).
  let ampSearchedFrom = 0;
  let nextAmp = text.indexOf('&');
  const ampFrom = (from: number): number => {
    if (from < ampSearchedFrom) {
      for (let i = from; i < ampSearchedFrom; i++) if (text.charCodeAt(i) === 38) return i;
      return nextAmp;
    }
    if (nextAmp !== -1 && nextAmp < from) {
      nextAmp = text.indexOf('&', from);
      ampSearchedFrom = from;
    }
    return nextAmp;
  };

  /** The text from `from` to `to` with references decoded (attribute values: line breaks become spaces). */
  const decode = (from: number, to: number, attribute: boolean): string => {
    let amp = ampFrom(from);
    let decoded: string;
    if (amp === -1 || amp >= to) decoded = text.slice(from, to);
    else {
      const parts: string[] = [];
      let last = from;
      while (amp !== -1 && amp < to) {
        REFERENCE.lastIndex = amp;
        const match = REFERENCE.exec(text);
        if (!match || amp + match[0].length > to) {
          repair(amp, 'bare "&"');
          amp = ampFrom(amp + 1);
          continue;
        }
        const [reference, decimal, hex, name] = match;
        let value: string | undefined;
        if (name === undefined) {
          const code = Number.parseInt(decimal ?? hex ?? '', decimal === undefined ? 16 : 10);
          if (isXmlChar(code)) value = String.fromCodePoint(code);
          else repair(amp, `character reference "${reference}" to no XML character`);
        } else {
          value = PREDEFINED_ENTITIES.get(name) ?? NAMED_ENTITIES.get(name);
          if (value === undefined && !declaredEntities.has(name)) {
            repair(amp, `unknown entity "${reference}" (kept as written)`);
          }
        }
        if (value !== undefined) {
          parts.push(text.slice(last, amp), value);
          last = amp + reference.length;
        }
        amp = ampFrom(amp + reference.length);
      }
      parts.push(text.slice(last, to));
      decoded = parts.join('');
    }
    // XML's end-of-line handling: text sees "\n" for "\r\n" and "\r"; attribute values see spaces.
    if (attribute) return LINE_BREAK_OR_TAB.test(decoded) ? decoded.replace(/\r\n|[\t\n\r]/g, ' ') : decoded;
    return hasCarriageReturn && decoded.includes('\r') ? decoded.replace(/\r\n?/g, '\n') : decoded;
  };

  const addText = (value: string): void => {
    const parent = stack[stack.length - 1];
    if (!parent || value.length === 0) return;
    textCount += value.length;
    if (textCount > MAX_XML_TEXT) {
      throw new DocumentError(
        file,
        'too-large',
        `holds more than ${MAX_XML_TEXT.toLocaleString('en-US')} characters of XML text, the limit.`,
      );
    }
    parent.children.push(value);
  };

  /** Ends the text run before markup at `to`. Outside the root only white space belongs. */
  const flushText = (to: number): void => {
    if (to > textFrom) {
      if (stack.length > 0) addText(decode(textFrom, to, false));
      else {
        NOT_SPACE.lastIndex = textFrom;
        const found = NOT_SPACE.exec(text);
        if (found && found.index < to) {
          repair(found.index, root ? 'text after the root element' : 'text before the root element');
        }
      }
    }
    textFrom = to;
  };

  const openElement = (
    at: number,
    name: string,
    attributes: Record<string, string>,
    end: number,
    empty: boolean,
  ) => {
    flushText(at);
    const top = stack[stack.length - 1];
    if (top?.name === name && NEVER_NESTED.has(name)) {
      // `<p>…<p>`: the first paragraph's end tag is missing; nesting the next one inside it would hide it.
      top.end = at;
      stack.pop();
      repair(at, `missing end tag </${name}>`);
    }
    if (rootClosed) {
      repair(at, `a second root element <${name}>`);
      stopped = true;
      return;
    }
    if (++elementCount > MAX_XML_ELEMENTS) {
      throw new DocumentError(
        file,
        'too-large',
        `has more than ${MAX_XML_ELEMENTS.toLocaleString('en-US')} XML elements, the limit.`,
      );
    }
    if ((elementCount & 4095) === 0) signal?.throwIfAborted();
    const element: XmlElement = { name, attributes, start: at, end, children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    if (empty) {
      if (!parent) rootClosed = true;
      return;
    }
    stack.push(element);
    if (stack.length > MAX_XML_DEPTH) {
      const { line, column } = lineAndColumn(text, at);
      throw new DocumentError(
        file,
        'malformed',
        `nests XML elements more than ${MAX_XML_DEPTH} deep at line ${line}, column ${column}.`,
      );
    }
  };

  /** The offset of the first `<` or `>` at or after `from`, or the text's length. */
  const nextAngle = (from: number): number => {
    let i = from;
    while (i < length) {
      const code = text.charCodeAt(i);
      if (code === 60 || code === 62) return i;
      i++;
    }
    return length;
  };

  /**
   * `<name attributes>` or `<name/>` at `at`; returns the offset past it. Attribute values are decoded only
   * once the tag is accepted, so a `<` that turns out to be text is not repaired twice.
   */
  const readStartTag = (at: number): number => {
    let i = nameEnd(text, at + 1);
    if (i === at + 1) return at + 1 >= length ? CUT_OFF : NOT_MARKUP;
    const name = text.slice(at + 1, i);
    /** Attribute name, value start, value end. */
    const values: [string, number, number][] = [];
    let tagRepair: { offset: number; what: string } | undefined;
    // Where junk that is no attribute ends (at the tag's `>`), and whether a quoted attribute is well-formed.
    let junkEnd = -1;
    let quotedAttribute = false;
    for (;;) {
      while (i < length && text.charCodeAt(i) <= 32) i++;
      if (i >= length) return CUT_OFF;
      const char = text.charCodeAt(i);
      if (char === 62 /* > */ || (char === 47 /* / */ && text.charCodeAt(i + 1) === 62)) {
        const end = char === 62 ? i + 1 : i + 2;
        if (junkEnd !== -1 && !quotedAttribute) return NOT_MARKUP;
        flushText(at);
        if (tagRepair) repair(tagRepair.offset, tagRepair.what);
        let attributes = NO_ATTRIBUTES;
        for (const [attributeName, from, to] of values) {
          if (attributes === NO_ATTRIBUTES) attributes = {};
          if (Object.hasOwn(attributes, attributeName)) repair(from, `repeated attribute "${attributeName}"`);
          else attributes[attributeName] = decode(from, to, true);
        }
        openElement(at, name, attributes, end, char === 47);
        return end;
      }
      ATTRIBUTE.lastIndex = i;
      const match = ATTRIBUTE.exec(text);
      if (!match) {
        // Not `name=value`: "a <b and c" is text, not a tag, unless the text ends first (`<p id`). Junk
        // among quoted attributes is a damaged tag (`<claim i&d="c1" num="1">`): skip it, keep the rest.
        if (junkEnd === -1) {
          junkEnd = nextAngle(i);
          if (junkEnd >= length) return CUT_OFF;
          if (text.charCodeAt(junkEnd) === 60 /* < */) return NOT_MARKUP;
          tagRepair ??= { offset: i, what: `damaged start tag <${name}>` };
        }
        i++;
        continue;
      }
      const [whole, attributeName = '', double, single, unquoted] = match;
      let next = i + whole.length;
      const quoted = double ?? single;
      // A quoted value holding both `<` and `>` ran past the tag's end: its closing quote is missing.
      const quoteMissing = quoted !== undefined && quoted.includes('<') && quoted.includes('>');
      if (quoted !== undefined && !quoteMissing) {
        const valueStart = next - 1 - quoted.length;
        const lessThan = quoted.indexOf('<');
        if (lessThan !== -1) {
          tagRepair ??= {
            offset: valueStart + lessThan,
            what: `"<" in the value of attribute "${attributeName}"`,
          };
        }
        values.push([attributeName, valueStart, next - 1]);
        quotedAttribute = true;
      } else if (unquoted !== undefined) {
        tagRepair ??= { offset: i, what: `unquoted value of attribute "${attributeName}"` };
        values.push([attributeName, next - unquoted.length, next]);
      } else {
        // `name="…` with the closing quote missing: the value runs to the tag's end.
        if (quoteMissing) next = next - 2 - (quoted?.length ?? 0);
        if (next >= length) return CUT_OFF;
        const quote = text[next];
        if (quote !== '"' && quote !== "'") return NOT_MARKUP;
        const valueEnd = nextAngle(next + 1);
        if (valueEnd >= length) return CUT_OFF;
        if (text[valueEnd] === '<') return NOT_MARKUP;
        tagRepair ??= { offset: next, what: `unclosed quote in attribute "${attributeName}"` };
        const selfClosing = text[valueEnd - 1] === '/';
        values.push([attributeName, next + 1, selfClosing ? valueEnd - 1 : valueEnd]);
        next = selfClosing ? valueEnd - 1 : valueEnd;
      }
      i = next;
    }
  };

  /** `</name>` at `at`; returns the offset past it. */
  const readEndTag = (at: number): number => {
    let i = nameEnd(text, at + 2);
    if (i === at + 2) return at + 2 >= length ? CUT_OFF : NOT_MARKUP;
    const name = text.slice(at + 2, i);
    while (i < length && text.charCodeAt(i) <= 32) i++;
    if (i >= length) return CUT_OFF;
    let end: number;
    const char = text.charCodeAt(i);
    if (char === 62 /* > */) end = i + 1;
    else if (char === 60 /* < */) {
      // `</PARTY-US` followed by the next tag: the `>` was lost.
      repair(i, `end tag </${name}> without ">"`);
      end = i;
    } else return NOT_MARKUP;
    flushText(at);
    let open = stack.length - 1;
    while (open >= 0 && stack[open]?.name !== name) open--;
    if (open < 0) {
      repair(at, `end tag </${name}> that closes nothing`);
      return end;
    }
    for (let k = stack.length - 1; k > open; k--) {
      const unclosed = stack[k] as XmlElement;
      unclosed.end = at;
      repair(at, `missing end tag </${unclosed.name}>`);
    }
    (stack[open] as XmlElement).end = end;
    while (stack.length > open) stack.pop();
    if (open === 0) rootClosed = true;
    return end;
  };

  /** `<!DOCTYPE …>`: notes the entity names its internal subset declares (never their values). */
  const readDoctype = (at: number): number => {
    let i = at + 9;
    let subsetStart = -1;
    while (i < length) {
      const char = text[i];
      if (char === '"' || char === "'") {
        const close = text.indexOf(char, i + 1);
        if (close === -1) return CUT_OFF;
        i = close + 1;
        continue;
      }
      if (char === '>') break;
      if (char === '[' && subsetStart === -1) {
        subsetStart = i;
        i++;
        // The internal subset: declarations, comments, processing instructions, quoted literals.
        while (i < length && text[i] !== ']') {
          const c = text[i];
          if (c === '"' || c === "'") {
            const close = text.indexOf(c, i + 1);
            if (close === -1) return CUT_OFF;
            i = close + 1;
          } else if (text.startsWith('<!--', i)) {
            const close = text.indexOf('-->', i + 4);
            if (close === -1) return CUT_OFF;
            i = close + 3;
          } else if (text.startsWith('<?', i)) {
            const close = text.indexOf('?>', i + 2);
            if (close === -1) return CUT_OFF;
            i = close + 2;
          } else if (c === '<') {
            ENTITY_DECLARATION.lastIndex = i;
            const declaration = ENTITY_DECLARATION.exec(text);
            if (declaration) {
              if (!declaration[1] && declaration[2]) declaredEntities.add(declaration[2]);
              i += declaration[0].length;
            } else i++;
          } else i++;
        }
        if (i >= length) return CUT_OFF;
      }
      i++;
    }
    if (i >= length) return CUT_OFF;
    flushText(at);
    if (root) repair(at, 'a DOCTYPE inside the document');
    return i + 1;
  };

  /** `<!--…-->`, `<![CDATA[…]]>`, `<!DOCTYPE…>` at `at`. */
  const readDeclaration = (at: number): number => {
    if (text.startsWith('<!--', at)) {
      const close = text.indexOf('-->', at + 4);
      if (close === -1) return CUT_OFF;
      flushText(at);
      return close + 3;
    }
    if (text.startsWith('<![CDATA[', at)) {
      const close = text.indexOf(']]>', at + 9);
      if (close === -1) return CUT_OFF;
      flushText(at);
      if (stack.length > 0) addText(text.slice(at + 9, close));
      else repair(at, 'CDATA outside the root element');
      return close + 3;
    }
    if (text.startsWith('<!DOCTYPE', at)) return readDoctype(at);
    // The text ends in the opening of one of them (`<!-`).
    const rest = text.slice(at, at + 9);
    const cut =
      rest.length < 9 && ['<!--', '<![CDATA[', '<!DOCTYPE'].some((opening) => opening.startsWith(rest));
    return cut ? CUT_OFF : NOT_MARKUP;
  };

  const readProcessingInstruction = (at: number): number => {
    const close = text.indexOf('?>', at + 2);
    if (close === -1) return CUT_OFF;
    flushText(at);
    return close + 2;
  };

  while (position < length && !stopped) {
    const at = text.indexOf('<', position);
    if (at === -1) break;
    const next = text.charCodeAt(at + 1);
    const end =
      next === 47 // '/'
        ? readEndTag(at)
        : next === 33 // '!'
          ? readDeclaration(at)
          : next === 63 // '?'
            ? readProcessingInstruction(at)
            : readStartTag(at);
    if (end === CUT_OFF) {
      cutAt = at;
      break;
    }
    if (end === NOT_MARKUP) {
      // Stays in the text run: "a < b", "<5 mm".
      repair(at, 'stray "<"');
      position = at + 1;
      continue;
    }
    position = end;
    textFrom = end;
  }
  if (!stopped) flushText(cutAt);

  if (!root) throw new DocumentError(file, 'malformed', 'holds no XML element.');
  if (stack.length > 0) {
    const innermost = stack[stack.length - 1] as XmlElement;
    for (const open of stack) {
      open.end = cutAt;
      open.truncated = true;
    }
    repair(length, `the text ends inside <${innermost.name}>`);
  } else if (cutAt < length) repair(length, 'the text ends inside markup');
  if (firstRepair) {
    root.repairs = {
      count: repairCount,
      first: firstRepair.what,
      ...lineAndColumn(text, firstRepair.offset),
    };
  }
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
