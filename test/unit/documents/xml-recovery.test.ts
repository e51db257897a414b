/**
 * Damaged XML: each kind of damage is made in a real shared document, and what is intact must come out
 * exactly as from the undamaged file (texts, numbers, dependencies, offsets shifted by the damage), with
 * one warning naming the line and column an editor shows for the damage. Also the limits and the entity
 * rules (no DTD read, no internal entity expanded).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import { DocumentError, parseDocument, type PatentDocument } from '../../../src/core/documents/index';
import { parsePatentXml } from '../../../src/core/documents/patent-xml';
import { LineIndex } from '../../../src/core/documents/source-text';
import {
  findAll,
  MAX_XML_DEPTH,
  MAX_XML_ELEMENTS,
  parseXml,
  textContent,
} from '../../../src/core/documents/xml';
import { MAX_PARAGRAPHS } from '../../../src/core/documents/assemble';

const DATA = join(__dirname, '../../../../shared/data');
const SAMPLES = ['uspto/US08926509.xml', 'uspto/US20050004974A1.xml', 'ep/grant-v1-2-B2.xml'];
const read = (path: string) => readFileSync(join(DATA, path), 'utf8');
const encode = (text: string) => new TextEncoder().encode(text);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\<>]/g, '\\$&');

/** Where an editor puts the cursor at `offset`: 1-based line and column (UTF-16 code units). */
function editorPosition(text: string, offset: number): string {
  const { line, character } = new LineIndex(text).positionAt(offset);
  return `line ${line + 1}, column ${character + 1}`;
}

function warningPattern(file: string, what: string, text: string, offset: number, more = 0): RegExp {
  const tail = more > 0 ? ` \\(and ${more} more repairs?\\)` : '';
  return new RegExp(
    `^${escape(file)}: repaired damaged XML — ${escape(what)} at ${editorPosition(text, offset)}${tail}\\.$`,
  );
}

interface Item {
  key: string;
  text: string;
  dependsOn?: number[];
  start: number;
  end: number;
}

/** Claims and paragraphs as comparable items, offsets mapped through `shift` (clean → damaged). */
function items(document: PatentDocument, shift: (offset: number) => number = (o) => o): Item[] {
  return [
    ...document.claims.map((c) => ({
      key: `claim ${c.number}`,
      text: c.text,
      dependsOn: c.dependsOn,
      start: shift(c.range.startOffset),
      end: shift(c.range.endOffset),
    })),
    ...document.paragraphs.map((p) => ({
      key: p.id,
      text: p.text,
      start: shift(p.range.startOffset),
      end: shift(p.range.endOffset),
    })),
  ];
}

/** A paragraph in the middle of the description whose next sibling is another paragraph. */
function middleParagraph(source: string, document: PatentDocument) {
  const paragraphs = document.paragraphs;
  for (let i = Math.floor(paragraphs.length / 2); i < paragraphs.length - 1; i++) {
    const paragraph = paragraphs[i]!;
    const next = paragraphs[i + 1]!;
    const between = source.slice(paragraph.range.endOffset, next.range.startOffset);
    if (
      /^\s*$/.test(between) &&
      source.slice(paragraph.range.endOffset - 4, paragraph.range.endOffset) === '</p>'
    ) {
      return { index: i, paragraph, next };
    }
  }
  throw new Error('no paragraph followed by a paragraph');
}

/** Inserts `insert` before the `</p>` of a middle paragraph; checks everything else is unchanged. */
function damageParagraph(path: string, insert: string) {
  const source = read(path);
  const clean = parsePatentXml(source, path, undefined);
  const { index, paragraph } = middleParagraph(source, clean);
  const at = paragraph.range.endOffset - 4;
  const damagedText = source.slice(0, at) + insert + source.slice(at);
  const damaged = parsePatentXml(damagedText, path, undefined);
  const expected = items(clean, (o) => (o > at ? o + insert.length : o));
  const actual = items(damaged);
  assert.equal(actual.length, expected.length);
  const changed = clean.claims.length + index;
  for (let i = 0; i < expected.length; i++) {
    if (i === changed) continue;
    assert.deepEqual(actual[i], expected[i]);
  }
  assert.deepEqual({ ...actual[changed], text: '' }, { ...expected[changed], text: '' });
  return {
    damaged,
    damagedText,
    at,
    cleanText: paragraph.text,
    damagedParagraph: damaged.paragraphs[index]!,
  };
}

describe('damaged XML is recovered, intact parts exactly as in the clean file', () => {
  for (const path of SAMPLES) {
    it(`a bare "&" (${path})`, () => {
      const result = damageParagraph(path, ' R&D & more');
      assert.equal(result.damagedParagraph.text, `${result.cleanText} R&D & more`);
      assert.deepEqual(result.damaged.warnings?.length, 1);
      assert.match(
        result.damaged.warnings![0]!,
        warningPattern(path, 'bare "&"', result.damagedText, result.at + 2, 1),
      );
    });

    it(`a stray "<" (${path})`, () => {
      const result = damageParagraph(path, ' a < b, <5 mm');
      assert.equal(result.damagedParagraph.text, `${result.cleanText} a < b, <5 mm`);
      assert.match(
        result.damaged.warnings![0]!,
        warningPattern(path, 'stray "<"', result.damagedText, result.at + 3, 1),
      );
    });

    it(`an unknown entity stays as written, a known HTML one is decoded (${path})`, () => {
      const result = damageParagraph(path, ' &foo; and&nbsp;x &mdash; &#x3B1;');
      assert.equal(result.damagedParagraph.text, `${result.cleanText} &foo; and x — α`);
      assert.match(
        result.damaged.warnings![0]!,
        warningPattern(path, 'unknown entity "&foo;" (kept as written)', result.damagedText, result.at + 1),
      );
    });

    it(`an unclosed inline element is closed by the paragraph's end tag (${path})`, () => {
      const result = damageParagraph(path, ' <b>bold');
      assert.equal(result.damagedParagraph.text, `${result.cleanText} bold`);
      const endTag = result.at + ' <b>bold'.length;
      assert.match(
        result.damaged.warnings![0]!,
        warningPattern(path, 'missing end tag </b>', result.damagedText, endTag),
      );
    });

    it(`a stray end tag is dropped (${path})`, () => {
      const result = damageParagraph(path, ' one</i> two');
      assert.equal(result.damagedParagraph.text, `${result.cleanText} one two`);
      assert.match(
        result.damaged.warnings![0]!,
        warningPattern(path, 'end tag </i> that closes nothing', result.damagedText, result.at + 4),
      );
    });

    it(`a missing </p> ends the paragraph where the next one starts (${path})`, () => {
      const source = read(path);
      const clean = parsePatentXml(source, path, undefined);
      const { paragraph, next } = middleParagraph(source, clean);
      const cut = paragraph.range.endOffset - 4;
      const damagedText = source.slice(0, cut) + source.slice(cut + 4);
      const damaged = parsePatentXml(damagedText, path, undefined);
      const expected = items(clean, (o) => (o > cut ? o - 4 : o)).map((item) =>
        item.key === paragraph.id ? { ...item, end: next.range.startOffset - 4 } : item,
      );
      assert.deepEqual(items(damaged), expected);
      assert.match(
        damaged.warnings![0]!,
        warningPattern(path, 'missing end tag </p>', damagedText, next.range.startOffset - 4),
      );
    });

    it(`a file cut off in a paragraph keeps every complete one (${path})`, () => {
      const source = read(path);
      const clean = parsePatentXml(source, path, undefined);
      const { paragraph } = middleParagraph(source, clean);
      const cut = Math.floor((paragraph.range.startOffset + paragraph.range.endOffset) / 2);
      const damaged = parsePatentXml(source.slice(0, cut), path, undefined);
      const complete = items(clean).filter((item) => item.end <= cut);
      assert.deepEqual(items(damaged), complete);
      assert.ok(complete.some((item) => item.key.startsWith('p')));
      assert.match(damaged.warnings![0]!, /the text ends inside <[\w-]+> at /);
      assert.match(damaged.warnings![0]!, new RegExp(`at ${editorPosition(source, cut)}\\.$`));
    });

    it(`a file cut at any character around a paragraph's markup names only the cut (${path})`, () => {
      const source = read(path);
      const clean = parsePatentXml(source, path, undefined);
      const { paragraph, next } = middleParagraph(source, clean);
      // From inside the text through `</p>`, the white space and `<p id="…" num="…">` into the next text.
      const from = paragraph.range.endOffset - 10;
      const to = source.indexOf('>', next.range.startOffset) + 3;
      for (let cut = from; cut <= to; cut++) {
        const damaged = parsePatentXml(source.slice(0, cut), path, undefined);
        assert.deepEqual(
          items(damaged),
          items(clean).filter((item) => item.end <= cut),
          `cut at ${cut}`,
        );
        assert.equal(damaged.warnings?.length, 1);
        assert.match(
          damaged.warnings![0]!,
          new RegExp(`the text ends inside <[\\w-]+> at ${editorPosition(source, cut)}\\.$`),
          `cut at ${cut}: ${JSON.stringify(source.slice(cut - 10, cut))}`,
        );
      }
    });

    it(`a file cut off in the claims keeps every complete claim (${path})`, () => {
      const source = read(path);
      const clean = parsePatentXml(source, path, undefined);
      const claim = clean.claims[Math.floor(clean.claims.length / 2)]!;
      const cut = claim.range.startOffset + Math.floor((claim.range.endOffset - claim.range.startOffset) / 2);
      const damaged = parsePatentXml(source.slice(0, cut), path, undefined);
      const complete = items(clean).filter((item) => item.end <= cut);
      assert.deepEqual(items(damaged), complete);
      assert.ok(damaged.claims.length > 0 && damaged.claims.length < clean.claims.length);
      assert.match(
        damaged.warnings![0]!,
        new RegExp(`the text ends inside <[\\w-]+> at ${editorPosition(source, cut)}\\.$`),
      );
    });
  }

  it('a damaged start tag keeps its element and its well-formed attributes', () => {
    const path = 'uspto/US08926509.xml';
    const source = read(path);
    const clean = parsePatentXml(source, path, undefined);
    for (const [damage, what, marker] of [
      // The repair is where the junk starts ("n&um" is no attribute) and where the "<" is.
      [(tag: string) => tag.replace(' num=', ' n&um='), 'damaged start tag <claim>', 'n&um'],
      [(tag: string) => tag.replace('num="', 'num="<'), '"<" in the value of attribute "num"', '"<'],
    ] as const) {
      const claim = clean.claims[1]!;
      const tagEnd = source.indexOf('>', claim.range.startOffset) + 1;
      const tag = source.slice(claim.range.startOffset, tagEnd);
      const damagedTag = damage(tag);
      const delta = damagedTag.length - tag.length;
      const damagedText = source.slice(0, claim.range.startOffset) + damagedTag + source.slice(tagEnd);
      const damaged = parsePatentXml(damagedText, path, undefined);
      const texts = (d: PatentDocument) => d.claims.map((c) => `${c.number}: ${c.text}`);
      assert.deepEqual(texts(damaged), texts(clean));
      assert.equal(damaged.claims[1]!.range.endOffset, claim.range.endOffset + delta);
      const repairAt = claim.range.startOffset + damagedTag.indexOf(marker) + (marker === '"<' ? 1 : 0);
      assert.match(damaged.warnings![0]!, warningPattern(path, what, damagedText, repairAt));
    }
  });

  it('random one-character damage leaves every claim and paragraph away from it as it was', () => {
    let seed = 20261130;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let tried = 0;
    // The three smallest shared US/EP files keep this quick.
    for (const path of ['uspto/US08930553.xml', 'uspto/US20050004437A1.xml', 'ep/application-v1-5-A1.xml']) {
      const source = read(path);
      const clean = parsePatentXml(source, path, undefined);
      const rootStart = source.search(/<(?:us|ep)-patent/);
      // Damage to the name of a block's own tag (`<clai&ms>`) loses the block: not expected to survive.
      const blockTags = [...source.matchAll(/<(?:claims|description|abstract)\b[^>]*>/g)].map(
        (m) => [m.index, m.index + m[0].length] as const,
      );
      for (let round = 0; round < 120; round++) {
        const at = rootStart + 1 + Math.floor(random() * (source.length - rootStart - 2));
        if (blockTags.some(([from, to]) => at >= from && at <= to)) continue;
        const kind = Math.floor(random() * 3);
        const damaged =
          kind === 0
            ? source.slice(0, at) + source.slice(at + 1)
            : source.slice(0, at) + (kind === 1 ? '<' : '&') + source.slice(at);
        const delta = kind === 0 ? -1 : 1;
        const shift = (offset: number) => (offset > at ? offset + delta : offset);
        const found = new Set(
          items(parsePatentXml(damaged, path, undefined)).map((item) => JSON.stringify(item)),
        );
        const untouched = items(clean).filter((item) => at < item.start - 1 || at > item.end);
        for (const item of untouched) {
          const moved = { ...item, start: shift(item.start), end: shift(item.end) };
          // A claim keeps its text; its dependencies may lose a claim the damage removed.
          const key = JSON.stringify(moved);
          if (found.has(key)) continue;
          const sameText = [...found].some((f) => {
            const other = JSON.parse(f) as Item;
            return other.key === moved.key && other.text === moved.text && other.start === moved.start;
          });
          assert.ok(
            sameText,
            `${path}: damage ${kind} at ${at} ${JSON.stringify(source.slice(at - 12, at + 12))} lost ${item.key}`,
          );
        }
        tried++;
      }
    }
    assert.ok(tried > 300);
  });

  it('names line 96 for a bare "&" on line 96 of an EPO grant (saxes named the next ";", line 113)', () => {
    const path = 'ep/grant-v1-2-B2.xml';
    const lines = read(path).split('\n');
    const line96 = lines[95]!;
    const textStart = line96.indexOf('>') + 1; // in the text of <p id="p0036" num="0036">
    assert.match(line96.slice(0, textStart), /^<p id="p0036"/);
    lines[95] = `${line96.slice(0, textStart)}R&D ${line96.slice(textStart)}`;
    const damaged = parsePatentXml(lines.join('\n'), path, undefined);
    assert.deepEqual(damaged.warnings, [
      `${path}: repaired damaged XML — bare "&" at line 96, column ${textStart + 2}.`,
    ]);
    assert.match(damaged.paragraphs.find((p) => p.id === 'p0036')!.text, /^R&D This invention/);
  });

  it('counts lines and columns as an editor does in a CRLF file', () => {
    const path = 'uspto-2001/US20010000044A1.xml';
    const source = read(path);
    assert.ok(source.includes('\r\n'));
    const at = source.indexOf('</paragraph>', source.length / 2);
    const damagedText = `${source.slice(0, at)} & ${source.slice(at)}`;
    const root = parseXml(damagedText, path);
    assert.ok(root.repairs);
    assert.equal(
      `line ${root.repairs.line}, column ${root.repairs.column}`,
      editorPosition(damagedText, at + 1),
    );
    assert.equal(root.repairs.first, 'bare "&"');
  });

  it('carries the warning through the document worker and prints it from the CLI', async () => {
    const source = read('ep/grant-v1-4-B1.xml');
    const at = source.indexOf('</p>', source.length / 4);
    const damaged = `${source.slice(0, at)} AT&T${source.slice(at)}`;
    const document = await parseDocument(encode(damaged), 'damaged.xml');
    assert.match(
      document.warnings?.[0] ?? '',
      /^damaged\.xml: repaired damaged XML — bare "&" at line \d+, column \d+\.$/,
    );

    const folder = mkdtempSync(join(tmpdir(), 'pp-xml-'));
    const file = join(folder, 'damaged.xml');
    writeFileSync(file, damaged);
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t) };
    assert.equal(await main(['parse', file, '--json'], io), 0);
    const output = JSON.parse(stdout) as { warnings: string[]; claims: unknown[] };
    assert.equal(output.claims.length, 12);
    assert.match(output.warnings[0]!, /repaired damaged XML — bare "&"/);
    stdout = '';
    assert.equal(await main(['parse', file], io), 0);
    assert.match(
      stderr,
      /^warning: .*damaged\.xml: repaired damaged XML — bare "&" at line \d+, column \d+\.\n$/,
    );
  });

  it('parses the clean shared files without a warning', async () => {
    for (const path of [
      ...SAMPLES,
      'uspto/US07272630B2.xml',
      'ep/grant-v1-4-B1.xml',
      'ep/application-v1-5-A1.xml',
    ]) {
      const document = await parseDocument(readFileSync(join(DATA, path)), path);
      assert.equal(document.warnings, undefined, path);
    }
  });
});

describe('what is not recoverable keeps a clear error', () => {
  const rejects = (text: string, problem: string, message: RegExp) =>
    assert.throws(
      () => parsePatentXml(text, 'bad.xml', undefined),
      (error: unknown) =>
        error instanceof DocumentError && error.problem === problem && message.test(error.message),
    );

  it('no element, nothing intact, damaged XML that is no patent document', () => {
    rejects('just < text & no tags', 'malformed', /^bad\.xml: holds no XML element\.$/);
    rejects(
      '<?xml version="1.0"?>\n<us-patent-grant><claims>',
      'malformed',
      /^bad\.xml: is not well-formed XML at line 2, column 26: the text ends inside <claims>\.$/,
    );
    rejects(
      '<?xml version="1.0"?>\n<a><b></a>',
      'malformed',
      /at line 2, column 7: missing end tag <\/b>\.$/,
    );
  });
});

describe('limits', () => {
  const grant = (description: string) =>
    `<?xml version="1.0"?>\n<us-patent-grant><description>${description}</description>` +
    '<claims><claim num="1"><claim-text>1. A gear.</claim-text></claim></claims></us-patent-grant>';

  it(
    `19 MB of <p/> ends in a too-large error naming the limit of ${MAX_XML_ELEMENTS} elements`,
    {
      timeout: 60_000,
    },
    async () => {
      const bomb = grant('<p/>'.repeat((19 * 1024 * 1024) / 4));
      await assert.rejects(parseDocument(encode(bomb), 'p-bomb.xml'), (error: unknown) => {
        assert.ok(error instanceof DocumentError);
        assert.equal(error.problem, 'too-large');
        assert.equal(error.message, 'p-bomb.xml: has more than 1,000,000 XML elements, the limit.');
        return true;
      });
    },
  );

  it(`more than ${MAX_PARAGRAPHS} paragraphs end in a too-large error`, () => {
    const many = grant('<p>x</p>'.repeat(MAX_PARAGRAPHS + 1));
    assert.throws(
      () => parsePatentXml(many, 'many.xml', undefined),
      (error: unknown) =>
        error instanceof DocumentError &&
        error.problem === 'too-large' &&
        error.message === 'many.xml: has 50,001 paragraphs, more than the limit of 50,000.',
    );
  });

  it(`nesting deeper than ${MAX_XML_DEPTH} in a real document is an error`, () => {
    const source = read('uspto/US08930553.xml');
    const at = source.indexOf('</p>');
    const deep = source.slice(0, at) + '<b>'.repeat(MAX_XML_DEPTH) + source.slice(at);
    // The element that goes one deeper than allowed is one of the inserted <b>: the message names it.
    const open = (text: string) =>
      (text.match(/<[A-Za-z]/g)?.length ?? 0) - (text.match(/<\/|\/>/g)?.length ?? 0);
    const depthBefore = open(source.slice(source.indexOf('<us-patent-grant'), at));
    const offending = at + 3 * (MAX_XML_DEPTH - depthBefore);
    assert.equal(deep.slice(offending, offending + 3), '<b>');
    assert.throws(
      () => parseXml(deep, 'deep.xml'),
      (error: unknown) =>
        error instanceof DocumentError &&
        error.problem === 'malformed' &&
        error.message ===
          `deep.xml: nests XML elements more than 500 deep at ${editorPosition(deep, offending)}.`,
    );
  });
});

describe('entities', () => {
  const withDoctype = (subset: string, paragraphText: string) => {
    const source = read('uspto/US08930553.xml');
    const at = source.indexOf('</p>', source.indexOf('<description'));
    return source
      .replace(/<!DOCTYPE us-patent-grant[^>]*>/, `<!DOCTYPE us-patent-grant SYSTEM "x.dtd" [ ${subset} ]>`)
      .replace(source.slice(at - 20, at), `${source.slice(at - 20, at)} ${paragraphText}`);
  };

  it('an entity bomb in the internal subset stays unexpanded, without a warning', () => {
    let entities = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i - 1 || ''};`.repeat(10)}">`;
    const document = parsePatentXml(withDoctype(entities, '&lol9; end'), 'bomb.xml', undefined);
    assert.match(document.paragraphs[0]!.text, /&lol9; end$/);
    assert.equal(document.warnings, undefined);
  });

  it('an external entity is never read', () => {
    const folder = mkdtempSync(join(tmpdir(), 'pp-xxe-'));
    const secret = join(folder, 'secret.txt');
    writeFileSync(secret, 'SECRET-MARKER-7f3a');
    const xml = withDoctype(`<!ENTITY xxe SYSTEM "file://${secret}">`, '&xxe; end');
    const document = parsePatentXml(xml, 'xxe.xml', undefined);
    assert.match(document.paragraphs[0]!.text, /&xxe; end$/);
    assert.doesNotMatch(JSON.stringify(document), /SECRET-MARKER/);
  });

  it('the ST.32 grant with NDATA entities in its DOCTYPE parses cleanly, &lsquo; decoded', () => {
    const root = parseXml(read('uspto-2001/US06336130.xml'), 'US06336130.xml');
    assert.equal(root.name, 'PATDOC');
    assert.equal(root.repairs, undefined);
    const citations = findAll(root, 'PDAT').map(textContent).join(' ');
    assert.match(citations, /Enabling ‘Intelligence on Demand’ in Telecommunications/);
  });
});
