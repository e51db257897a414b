/**
 * US grants of 1976–2000 in the APS Green Book text format: the shared samples and the fixtures cut from
 * them, checked against the records' own fields, counted here line by line independently of the parser.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { greenBookPatentNumber, parseGreenBook } from '../../../src/core/documents/greenbook';
import {
  detectFormat,
  DocumentError,
  parseDocument,
  parseDocumentText,
} from '../../../src/core/documents/index';

const DATA = join(__dirname, '../../../../shared/data/uspto-greenbook');
const FIXTURES = join(__dirname, '../../fixtures/documents');
const files = [
  ...readdirSync(DATA).map((f) => join(DATA, f)),
  join(FIXTURES, 'US03932709-cut.greenbook'),
  join(FIXTURES, 'US03937375.greenbook'),
];

interface RawField {
  section: string;
  tag: string;
  value: string;
  /** Offset of the value's first character. */
  offset: number;
}

/** The record's fields the plain way: a line that does not start with a space starts a field. */
function rawFields(source: string): RawField[] {
  const fields: RawField[] = [];
  let section = '';
  let offset = 0;
  for (const line of source.split('\n')) {
    if (line.trim() !== '' && !line.startsWith(' ')) {
      const tag = line.slice(0, 4).trim();
      if (tag.length === 4 && line.slice(4).trim() === '') section = tag;
      else {
        const indent = line.slice(4).length - line.slice(4).trimStart().length;
        fields.push({ section, tag, value: line.slice(4).trim(), offset: offset + 4 + indent });
      }
    } else if (line.trim() !== '' && fields.length > 0) {
      fields[fields.length - 1]!.value += ` ${line.trim()}`;
    }
    offset += line.length + 1;
  }
  return fields;
}

/** "claim 3", "claim 4 or 5", "claims 12, 13 and 14", "claims 1 to 3": the numbers, written out plainly. */
function claimNumbersIn(text: string): number[] {
  const numbers: number[] = [];
  for (const m of text.matchAll(/\bclaims? (\d+(?:(?:, | or | and | to |-)\d+)*)/g)) {
    for (const part of m[1]!.split(/, | or | and /)) {
      const [from, to] = part.split(/ to |-/).map(Number);
      for (let n = from!; n <= (to ?? from!); n++) numbers.push(n);
    }
  }
  return numbers;
}

const isText = (tag: string) => /^(?:PAR|PA\d|PAL|TBL\d?|EQU)$/.test(tag);
const DESCRIPTION = ['GOVT', 'PARN', 'BSUM', 'DRWD', 'DETD'];

describe('APS Green Book grants', () => {
  for (const file of files) {
    const name = file.split('/').slice(-2).join('/');
    it(`${name}: claims, their numbers and dependencies match the CLMS fields`, async () => {
      const source = readFileSync(file, 'latin1');
      const document = await parseDocument(readFileSync(file), file);
      assert.equal(document.format, 'uspto-greenbook');
      const claimFields = rawFields(source).filter((f) => f.section === 'CLMS');
      const numbers = claimFields.filter((f) => f.tag === 'NUM').map((f) => Number.parseInt(f.value, 10));
      assert.ok(numbers.length > 0);
      assert.deepEqual(
        document.claims.map((c) => c.number),
        numbers,
      );
      // Each claim's "claim N" references, read from its own fields.
      let current = -1;
      const references = new Map<number, Set<number>>();
      for (const field of claimFields) {
        if (field.tag === 'NUM') current = Number.parseInt(field.value, 10);
        else {
          const set = references.get(current) ?? new Set<number>();
          for (const n of claimNumbersIn(field.value)) if (n !== current) set.add(n);
          references.set(current, set);
        }
      }
      for (const claim of document.claims) {
        assert.deepEqual(
          claim.dependsOn,
          [...(references.get(claim.number) ?? [])].sort((a, b) => a - b),
        );
        // The range runs from the NUM line to the claim's last word.
        assert.ok(
          source.slice(claim.range.startOffset).startsWith(`NUM  ${claim.number}.`),
          `claim ${claim.number}`,
        );
        assert.ok(!claim.text.startsWith(`${claim.number}.`), 'the printed number is dropped from the text');
      }
    });

    it(`${name}: description paragraphs are the text fields of the description sections, in reading order`, async () => {
      const source = readFileSync(file, 'latin1');
      const document = await parseDocument(readFileSync(file), file);
      const expected = rawFields(source).filter((f) => DESCRIPTION.includes(f.section) && isText(f.tag));
      assert.equal(document.paragraphs.length, expected.length);
      document.paragraphs.forEach((paragraph, i) => {
        const field = expected[i]!;
        assert.equal(paragraph.id, `r${i + 1}`);
        assert.equal(paragraph.numbering, 'reading-order');
        assert.equal(paragraph.number, undefined, 'Green Book prints no paragraph numbers');
        assert.equal(paragraph.range.startOffset, field.offset);
        const firstWords = field.value
          .split(/\s+/)
          .filter((w) => !/^[_=-]{3,}$/.test(w))
          .slice(0, 4)
          .join(' ');
        assert.ok(paragraph.text.startsWith(firstWords), `${paragraph.id}: ${paragraph.text.slice(0, 40)}`);
      });
      // Headings (PAC) are not paragraphs.
      const headings = rawFields(source)
        .filter((f) => f.tag === 'PAC')
        .map((f) => f.value);
      for (const heading of headings) assert.ok(!document.paragraphs.some((p) => p.text === heading));
    });

    it(`${name}: number, title and abstract from WKU, TTL and ABST`, async () => {
      const fields = rawFields(readFileSync(file, 'latin1'));
      const document = await parseDocument(readFileSync(file), file);
      const wku = fields.find((f) => f.tag === 'WKU')!.value;
      // 9 characters: "0", the 7-digit number, a check digit.
      assert.equal(document.publicationNumber, `US${Number(wku.slice(1, 8))}A`);
      assert.equal(document.title, fields.find((f) => f.tag === 'TTL')!.value);
      const abstract = fields.filter((f) => f.section === 'ABST').map((f) => f.value.replace(/\s+/g, ' '));
      assert.equal(document.abstract, abstract.join(' '));
    });
  }

  it('reads the shared samples as the printed patents number them', async () => {
    const big = await parseDocument(readFileSync(files[0]!), files[0]!);
    assert.equal(big.publicationNumber, 'US3932709A');
    assert.equal(big.claims.length, 17); // NCL 17
    const small = await parseDocument(readFileSync(files[1]!), files[1]!);
    assert.equal(small.publicationNumber, 'US3937375A');
    assert.equal(small.claims.length, 3); // NCL 3
    assert.deepEqual(
      small.claims.map((c) => c.dependsOn),
      [[], [1], [2]],
    );
  });

  it('keeps the lettered series of the patent number and drops the check digit', () => {
    assert.deepEqual(greenBookPatentNumber('039327094'), { prefix: '', number: '3932709' });
    assert.deepEqual(greenBookPatentNumber('RE0284516'), { prefix: 'RE', number: '28451' });
    assert.deepEqual(greenBookPatentNumber('D02456781'), { prefix: 'D', number: '245678' });
    assert.deepEqual(greenBookPatentNumber('PP0041237'), { prefix: 'PP', number: '4123' });
    assert.equal(greenBookPatentNumber('x'), undefined);
    const reissue = parseGreenBook('PATN\nWKU  RE0284516\nCLMS\nNUM  1.\nPAR  1. A thing.\n', 'r.txt');
    assert.equal(reissue.publicationNumber, 'USRE28451E');
  });

  it('is detected by extension and, as .txt, by its PATN line; drafts stay drafts', async () => {
    const bytes = readFileSync(files[1]!);
    assert.equal(detectFormat(bytes, 'x.greenbook'), 'uspto-greenbook');
    assert.equal(detectFormat(bytes, 'x.txt'), 'uspto-greenbook');
    assert.equal(detectFormat(new TextEncoder().encode('PATN is a word.\n\n1. A claim.\n'), 'x.txt'), 'text');
    const weekly = new TextEncoder().encode(`HHHHHT  APS1      ISSUE-760210\n${bytes.toString()}`);
    assert.equal(detectFormat(weekly, 'pftaps19760210_wk06.txt'), 'uspto-greenbook');
    const fromEditor = await parseDocumentText(bytes.toString('latin1'), 'untitled:1');
    assert.equal(fromEditor.format, 'uspto-greenbook');
    assert.equal(fromEditor.claims.length, 3);
  });

  it("reads claims without NUM lines by their printed numbers, and a design patent's one claim", () => {
    const claims = parseGreenBook(
      'PATN\nWKU  039373754\nCLMS\nSTM  I claim:\nPAR  1. A bumper support comprising a strap.\nPAR  2. The support of claim 1,\n      wherein the strap is steel.\n',
      'no-num.greenbook',
    ).claims;
    assert.deepEqual(
      claims.map((c) => [c.number, c.dependsOn, c.text]),
      [
        [1, [], 'A bumper support comprising a strap.'],
        [2, [1], 'The support of claim 1, wherein the strap is steel.'],
      ],
    );
    const design = parseGreenBook(
      'PATN\nWKU  D02456781\nAPT  4\nDCLM\nPAR  The ornamental design for a lamp, as shown.\n',
      'design.greenbook',
    );
    assert.equal(design.publicationNumber, 'USD245678S');
    assert.deepEqual(
      design.claims.map((c) => [c.number, c.text]),
      [[1, 'The ornamental design for a lamp, as shown.']],
    );
  });

  it('reads a TBL3 table as a field of its section, and the paragraphs after it', () => {
    // Files of the 1990s hold tables as TBL3 fields whose first line reads "TABLE 1": a field, not a section.
    const one = readFileSync(files[1]!, 'latin1');
    const table =
      'TBL3 TABLE 1\n      Strap   Length\n      11      40 cm\nPAR  The paragraph after the table stays.\n';
    const withTable = one.replace(/^DETD\n/m, `DETD\n${table}`);
    assert.notEqual(withTable, one);
    const before = parseGreenBook(one, 'plain.greenbook');
    const document = parseGreenBook(withTable, 'table.greenbook');
    const texts = document.paragraphs.map((p) => p.text);
    assert.ok(
      texts.some((t) => /TABLE 1 Strap Length 11 40 cm/.test(t)),
      texts.join('\n'),
    );
    assert.ok(texts.includes('The paragraph after the table stays.'));
    assert.equal(document.paragraphs.length, before.paragraphs.length + 2);
    assert.equal(document.claims.length, before.claims.length);
  });

  it('reads only the first of several records, and says so', () => {
    const one = readFileSync(files[1]!, 'latin1');
    const document = parseGreenBook(`${one}\n${one}`, 'two.greenbook');
    assert.equal(document.claims.length, 3);
    assert.match(document.warnings?.[0] ?? '', /^two\.greenbook: holds more than one PATN record/);
  });

  it('refuses a .greenbook file without a PATN record, naming it', async () => {
    await assert.rejects(
      parseDocument(new TextEncoder().encode('Just some notes.\n'), 'notes.greenbook'),
      (error: unknown) =>
        error instanceof DocumentError &&
        error.problem === 'malformed' &&
        /^notes\.greenbook: .*PATN/.test(error.message),
    );
  });

  for (const [name, eol] of [
    ['CRLF', '\r\n'],
    ['lone CR', '\r'],
  ] as const) {
    it(`reads ${name} line ends with ranges into the same text`, () => {
      const lf = parseGreenBook(readFileSync(files[1]!, 'latin1'), 'lf.greenbook');
      const other = readFileSync(files[1]!, 'latin1').replace(/\n/g, eol);
      const document = parseGreenBook(other, 'eol.greenbook');
      assert.deepEqual(
        document.claims.map((c) => [c.number, c.text, c.dependsOn]),
        lf.claims.map((c) => [c.number, c.text, c.dependsOn]),
      );
      assert.deepEqual(
        document.paragraphs.map((p) => [p.text, p.range.start]),
        lf.paragraphs.map((p) => [p.text, p.range.start]),
      );
      for (const p of document.paragraphs) {
        assert.equal(other.slice(p.range.startOffset, p.range.startOffset + 10), p.text.slice(0, 10));
        assert.ok(!/\s$/.test(other.slice(p.range.startOffset, p.range.endOffset)));
      }
    });
  }
});
