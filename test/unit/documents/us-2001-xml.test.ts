/**
 * US documents of 2001–2004: applications (`<patent-application-publication>`) and ST.32 grants
 * (`<PATDOC>`), the shared samples and the fixtures cut from them, checked against their markup, which is
 * read here with plain regular expressions independently of the parser. Also `parse --json` on every
 * shared sample of every format.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  detectFormat,
  looksLikePatentDocument,
  parseDocument,
  parseDocumentText,
} from '../../../src/core/documents/index';
import { main } from '../../../src/cli/main';

const DATA = join(__dirname, '../../../../shared/data');
const FIXTURES = join(__dirname, '../../fixtures/documents');

const applications = [
  join(DATA, 'uspto-2001/US20010000044A1.xml'),
  join(FIXTURES, 'US20010000044A1-cut.xml'),
  join(FIXTURES, 'US20010000044A1-v16-markup.xml'),
];
const grants = [
  join(DATA, 'uspto-2001/US06336130.xml'),
  join(FIXTURES, 'US06336130-cut.xml'),
  join(FIXTURES, 'US06336130-v24-empty-elements.xml'),
];

/** The markup from the first `open` to the next `close`. */
function block(source: string, open: string, close: string): string {
  const start = source.indexOf(open);
  assert.ok(start >= 0, `no ${open}`);
  return source.slice(start, source.indexOf(close, start) + close.length);
}

/** Elements `<name …>…</name>` of a block (these formats never nest them), with their offsets. */
function elements(source: string, name: string, within: string): { markup: string; offset: number }[] {
  const base = source.indexOf(within);
  const found: { markup: string; offset: number }[] = [];
  for (const m of within.matchAll(new RegExp(`<${name}[\\s>][\\s\\S]*?</${name}>`, 'g'))) {
    found.push({ markup: m[0], offset: base + m.index });
  }
  return found;
}

const stripTags = (markup: string) =>
  markup
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
/** Letters and digits only: the first words compare the same whatever markup stood between them. */
const alphanumeric = (text: string, length = 40) =>
  text.replace(/&[a-z]+;|[^A-Za-z0-9]/g, '').slice(0, length);
const idNumber = (markup: string, attribute: string) =>
  Number(new RegExp(`${attribute}="[A-Z]+-0*(\\d+)"`).exec(markup)?.[1]);
/** "claim 3" references in a claim's words, for a file that marks none. */
const textReferences = (markup: string) =>
  [...new Set([...stripTags(markup).matchAll(/\bclaim (\d+)/g)].map((m) => Number(m[1])))].sort(
    (a, b) => a - b,
  );

describe('US applications 2001–2004 (<patent-application-publication>)', () => {
  for (const file of applications) {
    const name = file.split('/').pop()!;
    it(`${name}: claims, numbers and dependencies as the markup has them`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      assert.equal(document.format, 'uspto-pap-xml');
      const claims = elements(source, 'claim', block(source, '<subdoc-claims>', '</subdoc-claims>'));
      assert.ok(claims.length > 0);
      assert.deepEqual(
        document.claims.map((c) => c.number),
        claims.map((c) => idNumber(c.markup, 'id')),
      );
      claims.forEach((claim, i) => {
        const parsed = document.claims[i]!;
        const marked = [...claim.markup.matchAll(/depends_on="CLM-0*(\d+)"/g)].map((m) => Number(m[1]));
        // A claim never depends on itself (some published claims name their own number by mistake).
        const expected = (marked.length > 0 ? [...new Set(marked)] : textReferences(claim.markup))
          .filter((n) => n !== parsed.number)
          .sort((a, b) => a - b);
        assert.deepEqual(parsed.dependsOn, expected, `claim ${parsed.number}`);
        assert.equal(parsed.range.startOffset, claim.offset);
        assert.equal(parsed.range.endOffset, claim.offset + claim.markup.length);
        // The printed number is not part of the text; "claim 1" inside a reference reads as running text.
        assert.ok(!parsed.text.startsWith(`${parsed.number}.`));
        assert.doesNotMatch(parsed.text, /claim \d+ ,/);
      });
    });

    it(`${name}: description paragraphs are the <paragraph>s of subdoc-description, numbered from the markup`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      const description = block(source, '<subdoc-description>', '</subdoc-description>');
      const paragraphs = elements(source, 'paragraph', description);
      assert.equal(document.paragraphs.length, paragraphs.length);
      paragraphs.forEach((paragraph, i) => {
        const parsed = document.paragraphs[i]!;
        const number = String(idNumber(paragraph.markup, 'id')).padStart(4, '0');
        assert.equal(parsed.number, number);
        assert.equal(parsed.id, `p${number}`);
        assert.equal(parsed.range.startOffset, paragraph.offset);
        const words = stripTags(paragraph.markup.replace(/<number>[\s\S]*?<\/number>/, ''));
        assert.ok(alphanumeric(parsed.text).startsWith(alphanumeric(words)), parsed.id);
      });
      // Headings and the abstract are not paragraphs.
      const headings = [...description.matchAll(/<heading[^>]*>([^<]*)</g)].map((m) => m[1]!.trim());
      for (const heading of headings) assert.ok(!document.paragraphs.some((p) => p.text === heading));
      const abstract = stripTags(block(source, '<subdoc-abstract>', '</subdoc-abstract>'));
      assert.ok(abstract.includes(document.abstract!.slice(0, 60)));
    });

    it(`${name}: publication number and title from the bibliographic data`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      const number = /<doc-number>(\d+)<\/doc-number>/.exec(source)![1];
      const kind = /<kind-code>(\w+)<\/kind-code>/.exec(source)![1];
      assert.equal(document.publicationNumber, `US${number}${kind}`);
      assert.equal(document.title, stripTags(block(source, '<title-of-invention>', '</title-of-invention>')));
    });
  }

  it('takes the dependencies of the later DTD from depends_on, even where the words say otherwise', async () => {
    const source = readFileSync(applications[2]!, 'utf8').replace(
      '<dependent-claim-reference depends_on="CLM-00003"><claim-text>claim 3</claim-text>',
      '<dependent-claim-reference depends_on="CLM-00002"><claim-text>claim 3</claim-text>',
    );
    const document = await parseDocumentText(source, 'edited.xml');
    assert.deepEqual(document.claims.find((c) => c.number === 4)?.dependsOn, [2]);
  });
});

describe('US grants 2002–2004 (ST.32 <PATDOC>)', () => {
  for (const file of grants) {
    const name = file.split('/').pop()!;
    it(`${name}: claims, numbers and CLREF dependencies as the markup has them`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      assert.equal(document.format, 'uspto-st32-xml');
      const claims = elements(source, 'CLM', block(source, '<SDOCL>', '</SDOCL>'));
      assert.ok(claims.length > 0);
      assert.deepEqual(
        document.claims.map((c) => c.number),
        claims.map((c) => idNumber(c.markup, 'ID')),
      );
      claims.forEach((claim, i) => {
        const parsed = document.claims[i]!;
        const refs = [...claim.markup.matchAll(/<CLREF ID="CLM-0*(\d+)"/g)].map((m) => Number(m[1]));
        assert.deepEqual(
          parsed.dependsOn,
          [...new Set(refs)].sort((a, b) => a - b),
          `claim ${parsed.number}`,
        );
        assert.equal(parsed.range.startOffset, claim.offset);
        assert.ok(!parsed.text.startsWith(`${parsed.number}.`));
      });
    });

    it(`${name}: description paragraphs are the <PARA>s of SDODE, numbered by their ID`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      const description = block(source, '<SDODE>', '</SDODE>');
      const paragraphs = elements(source, 'PARA', description);
      assert.equal(document.paragraphs.length, paragraphs.length);
      paragraphs.forEach((paragraph, i) => {
        const parsed = document.paragraphs[i]!;
        assert.equal(parsed.number, String(idNumber(paragraph.markup, 'ID')).padStart(4, '0'));
        assert.equal(parsed.range.startOffset, paragraph.offset);
        assert.equal(parsed.range.endOffset, paragraph.offset + paragraph.markup.length);
        assert.ok(
          alphanumeric(parsed.text).startsWith(alphanumeric(paragraph.markup.replace(/<[^>]*>/g, ''))),
        );
      });
      const headings = [...description.matchAll(/<H [^>]*><STEXT><PDAT>([^<]*)</g)].map((m) => m[1]!.trim());
      assert.ok(headings.length > 0);
      for (const heading of headings) assert.ok(!document.paragraphs.some((p) => p.text === heading));
    });

    it(`${name}: publication number from B190, B110 and B130, title from B540`, async () => {
      const source = readFileSync(file, 'utf8');
      const document = await parseDocument(readFileSync(file), file);
      const pdat = (tag: string) => stripTags(block(source, `<${tag}>`, `</${tag}>`));
      assert.equal(document.publicationNumber, `${pdat('B190')}${Number(pdat('B110'))}${pdat('B130')}`);
      assert.equal(document.title, pdat('B540'));
      assert.ok(document.abstract?.startsWith(stripTags(block(source, '<SDOAB>', '</SDOAB>')).slice(0, 60)));
    });
  }
});

describe('SGML-style EMPTY elements of 2001–2002 grants (DTD v2.4)', () => {
  it('read as the XML-style file reads, with no warning: the file is as its DTD allows', async () => {
    const sgml = await parseDocument(readFileSync(grants[2]!), grants[2]!);
    const xml = await parseDocument(readFileSync(grants[1]!), grants[1]!);
    assert.ok(/<CITED-BY-EXAMINER>/.test(readFileSync(grants[2]!, 'utf8')));
    assert.equal(sgml.warnings, undefined);
    assert.deepEqual(
      sgml.claims.map((c) => [c.number, c.text, c.dependsOn]),
      xml.claims.map((c) => [c.number, c.text, c.dependsOn]),
    );
    assert.deepEqual(
      sgml.paragraphs.map((p) => [p.id, p.text]),
      xml.paragraphs.map((p) => [p.id, p.text]),
    );
  });

  it('reads a 2001 grant named as SGML (.sgm, .sgml), and finds it a patent document', async () => {
    const bytes = readFileSync(grants[2]!);
    for (const name of ['US06336130.sgm', 'US06336130.sgml']) {
      assert.equal(detectFormat(bytes, name), 'xml');
      assert.ok(looksLikePatentDocument(bytes, name));
      const document = await parseDocument(bytes, name);
      assert.equal(document.format, 'uspto-st32-xml');
      assert.equal(document.warnings, undefined);
      assert.equal(document.claims.length, 7);
    }
  });

  it('still warns when such a file is damaged besides', async () => {
    const source = readFileSync(grants[2]!, 'utf8');
    const cut = source.slice(0, source.indexOf('<CLM ID="CLM-00005">') + 40);
    const document = await parseDocumentText(cut, 'cut-v24.xml');
    assert.deepEqual(
      document.claims.map((c) => c.number),
      [1, 2, 3, 4],
    );
    assert.match(document.warnings?.[0] ?? '', /^cut-v24\.xml: repaired damaged XML/);
  });
});

describe('a grant with MathML', () => {
  it("reads without a warning: MathML's invisible operators (&af;, &it;) are decoded, not left as damage", async () => {
    // Grants of 2002–2004 write formulas in MathML inside PARA, with the invisible-operator entities.
    const source = readFileSync(grants[1]!, 'utf8');
    const marker = 'terminal mobility support in distributed systems, and even';
    assert.ok(source.includes(marker));
    const formula =
      '<maths id="MATH-US-00001"><math><mrow><mi>sin</mi><mo>&af;</mo><mi>x</mi>' +
      '<mo>&it;</mo><mi>y</mi></mrow></math></maths>';
    const withMath = source.replace(marker, `${marker} ${formula}`);
    const document = await parseDocumentText(withMath, 'with-mathml.xml');
    assert.equal(document.warnings, undefined);
    const paragraph = document.paragraphs.find((p) => p.text.includes('terminal mobility support'));
    assert.ok(paragraph);
    assert.match(paragraph.text, /sin.*x.*y/);
    assert.ok(!document.paragraphs.some((p) => /&(?:af|it);/.test(p.text)));
  });
});

describe('damaged 2001–2004 files', () => {
  it('an application cut off inside a claim keeps the claims and paragraphs before the cut, with a warning', async () => {
    const source = readFileSync(applications[0]!, 'utf8');
    const cut = source.slice(0, source.indexOf('<claim id="CLM-00005">') + 60);
    const document = await parseDocumentText(cut, 'cut.xml');
    assert.deepEqual(
      document.claims.map((c) => c.number),
      [1, 2, 3, 4],
    );
    assert.equal(document.paragraphs.length, 41);
    assert.match(document.warnings?.[0] ?? '', /^cut\.xml: repaired damaged XML/);
  });

  it('a grant with a bare & in a paragraph reads every paragraph and says where the damage is', async () => {
    const source = readFileSync(grants[0]!, 'utf8').replace(
      'Common Request Broker Architecture',
      'Common Request & Broker',
    );
    const line = source.slice(0, source.indexOf('Request & Broker')).split('\n').length;
    const document = await parseDocumentText(source, 'amp.xml');
    assert.equal(document.paragraphs.length, 42);
    assert.equal(document.claims.length, 22);
    assert.ok(document.paragraphs.some((p) => p.text.includes('Common Request & Broker')));
    assert.match(
      document.warnings?.[0] ?? '',
      new RegExp(`^amp\\.xml: repaired damaged XML .* at line ${line},`),
    );
  });
});

describe('parse --json on every shared sample', () => {
  const samples = ['uspto', 'uspto-2001', 'uspto-greenbook', 'ep'].flatMap((folder) =>
    readdirSync(join(DATA, folder)).map((name) => join(DATA, folder, name)),
  );
  for (const file of samples) {
    it(`${file.split('/').slice(-2).join('/')} prints claims, dependencies and paragraphs`, async () => {
      let stdout = '';
      let stderr = '';
      const code = await main(['parse', file, '--json'], {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      });
      assert.equal(code, 0, stderr);
      const printed = JSON.parse(stdout) as {
        format: string;
        publicationNumber?: string;
        claims: { number: number; dependsOn: number[]; text: string }[];
        paragraphs: { id: string; text: string }[];
      };
      assert.ok(printed.claims.length > 0 && printed.paragraphs.length > 0);
      assert.ok(
        printed.claims.some((c) => c.dependsOn.length > 0),
        'some claim depends on another',
      );
      assert.ok(printed.claims.every((c) => c.dependsOn.every((n) => n < c.number)));
      assert.ok(
        printed.publicationNumber && /^(?:US|EP)[A-Z]{0,2}\d+[A-Z]\d?$/.test(printed.publicationNumber),
      );
      const document = await parseDocument(readFileSync(file), file);
      assert.deepEqual(
        printed.claims.map((c) => [c.number, c.dependsOn]),
        document.claims.map((c) => [c.number, c.dependsOn]),
      );
      assert.deepEqual(
        printed.paragraphs.map((p) => p.id),
        document.paragraphs.map((p) => p.id),
      );
    });
  }
});
