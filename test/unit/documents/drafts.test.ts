/**
 * Text, Markdown, DOCX and PDF drafts. The fixtures (test/fixtures/documents, made by
 * scripts/fixtures/make-document-fixtures.ts) carry the real claims and first paragraphs of
 * US 2005/0004437 A1, so each is checked against what the USPTO XML of the same application says.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  claimAtOffset,
  claimAtPosition,
  isIndependent,
  parseDocument,
  type PatentDocument,
} from '../../../src/core/documents/index';

const FIXTURES = join(__dirname, '../../fixtures/documents');
const XML = join(__dirname, '../../../../shared/data/uspto/US20050004437A1.xml');

async function parseFile(path: string): Promise<PatentDocument> {
  return parseDocument(readFileSync(path), path);
}

async function parseText(text: string, name = 'draft.txt'): Promise<PatentDocument> {
  return parseDocument(new TextEncoder().encode(text), name);
}

describe('drafts made from US 2005/0004437 A1', async () => {
  const reference = await parseFile(XML);
  const formats = [
    ['US20050004437A1.txt', 'text'],
    ['US20050004437A1.md', 'markdown'],
    ['US20050004437A1.docx', 'docx'],
    ['US20050004437A1.pdf', 'pdf'],
  ] as const;

  for (const [file, format] of formats) {
    describe(format, () => {
      it('has the same claims, words and dependencies as the XML', async () => {
        const document = await parseFile(join(FIXTURES, file));
        assert.equal(document.format, format);
        assert.equal(document.claims.length, reference.claims.length);
        for (const [i, claim] of document.claims.entries()) {
          const expected = reference.claims[i]!;
          assert.equal(claim.number, expected.number);
          assert.equal(claim.text, expected.text, `claim ${claim.number} text`);
          assert.deepEqual(claim.dependsOn, expected.dependsOn, `claim ${claim.number} depends on`);
        }
        assert.deepEqual(
          document.claims.filter(isIndependent).map((c) => c.number),
          [1],
        );
      });

      it('has the first eight description paragraphs, headings and abstract left out', async () => {
        const document = await parseFile(join(FIXTURES, file));
        assert.equal(document.paragraphs.length, 8);
        for (const [i, paragraph] of document.paragraphs.entries()) {
          const expected = reference.paragraphs[i]!;
          assert.equal(paragraph.text, expected.text, `paragraph ${i + 1}`);
          // The Markdown draft prints no paragraph numbers: ids fall back to the ordinal.
          if (format === 'markdown') assert.equal(paragraph.id, `o${i + 1}`);
          else assert.equal(paragraph.id, expected.id);
        }
      });

      it('gives ranges into the text the editor (or the extraction) shows', async () => {
        const document = await parseFile(join(FIXTURES, file));
        const extracted = format === 'docx' || format === 'pdf';
        assert.equal(document.sourceText !== undefined, extracted);
        const text = document.sourceText ?? readFileSync(join(FIXTURES, file), 'utf8');
        for (const claim of document.claims) {
          const slice = text.slice(claim.range.startOffset, claim.range.endOffset);
          assert.match(slice, new RegExp(`^${claim.number}\\. `));
          assert.equal(slice.replace(/^\d+\. /, '').replace(/\s+/g, ' '), claim.text);
          const mid = Math.floor((claim.range.startOffset + claim.range.endOffset) / 2);
          assert.equal(claimAtOffset(document, mid)?.number, claim.number);
          assert.equal(claimAtPosition(document, claim.range.end)?.number, claim.number);
        }
        for (const paragraph of document.paragraphs) {
          const slice = text.slice(paragraph.range.startOffset, paragraph.range.endOffset);
          assert.ok(slice.replace(/\s+/g, ' ').endsWith(paragraph.text.slice(-30)));
        }
        assert.equal(claimAtOffset(document, document.paragraphs[0]!.range.startOffset), undefined);
      });
    });
  }
});

describe('plain-text drafts', () => {
  it('reads "What is claimed is:" claims spread over lines, with [0012] paragraphs and headings', async () => {
    const document = await parseText(
      [
        'STORAGE BOX',
        '',
        'BACKGROUND',
        '',
        '[0001] A storage box (10) has a lid 12.',
        '[0002] The lid is heated to 200 °C.',
        '',
        'What is claimed is:',
        '',
        '1. A storage box (10), comprising:',
        '   a lid (12); and',
        '   a base 14.',
        '2. The storage box of claim 1, wherein the lid is hinged.',
        '3. (Currently amended) The storage box according to any one of claims 1 to 2, wherein the base is square.',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      document.paragraphs.map((p) => [p.id, p.number, p.text]),
      [
        ['p0001', '0001', 'A storage box (10) has a lid 12.'],
        ['p0002', '0002', 'The lid is heated to 200 °C.'],
      ],
    );
    assert.equal(document.paragraphs[0]?.matchText, 'A storage box has a lid.');
    assert.equal(document.paragraphs[1]?.matchText, 'The lid is heated to 200 °C.');
    assert.deepEqual(
      document.claims.map((c) => [c.number, c.dependsOn]),
      [
        [1, []],
        [2, [1]],
        [3, [1, 2]],
      ],
    );
    assert.equal(document.claims[0]?.text, 'A storage box (10), comprising: a lid (12); and a base 14.');
    assert.equal(document.claims[0]?.matchText, 'A storage box, comprising: a lid; and a base.');
    assert.equal(document.claims[2]?.text.startsWith('The storage box according'), true, 'status dropped');
    assert.deepEqual(document.claims[0]?.range.start, { line: 9, character: 0 });
    assert.deepEqual(document.claims[0]?.range.end, { line: 11, character: 13 });
  });

  it('counts lines as an editor does with CRLF line ends', async () => {
    const document = await parseText(
      'Claims\r\n\r\n1. A widget comprising a gear.\r\n2. The widget of claim 1.\r\n',
    );
    assert.deepEqual(document.claims[1]?.range.start, { line: 3, character: 0 });
    assert.equal(
      document.claims[1]?.range.startOffset,
      'Claims\r\n\r\n1. A widget comprising a gear.\r\n'.length,
    );
    assert.equal(claimAtPosition(document, { line: 2, character: 5 })?.number, 1);
    assert.equal(claimAtPosition(document, { line: 1, character: 0 }), undefined);
  });

  it('finds claims without a heading when the numbered items read like claims', async () => {
    const document = await parseText(
      'The steps are:\n\n1. mix\n2. bake\n\nSome more text here in a paragraph of its own.\n\n1. A method of baking, comprising mixing and baking.\n2. The method of claim 1, wherein baking lasts 20 min.\n',
    );
    assert.deepEqual(
      document.claims.map((c) => c.text),
      [
        'A method of baking, comprising mixing and baking.',
        'The method of claim 1, wherein baking lasts 20 min.',
      ],
    );
  });

  it('reads text that is not UTF-8 as Windows-1252, losing nothing', async () => {
    // "[0001] Café at 20 °C here." in Windows-1252: é = 0xE9, ° = 0xB0 (invalid as UTF-8).
    const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
    const bytes = Uint8Array.from([
      ...ascii('[0001] Caf'),
      0xe9,
      ...ascii(' at 20 '),
      0xb0,
      ...ascii('C here.\n'),
    ]);
    const document = await parseDocument(bytes, 'latin.txt');
    assert.equal(document.encoding, 'windows-1252');
    assert.equal(document.paragraphs[0]?.text, 'Café at 20 °C here.');
  });

  it('reads Claim N. and N) styles and German claims headings', async () => {
    const document = await parseText(
      'Patentansprüche\n\n1) Vorrichtung mit einem Rad.\n2) Vorrichtung nach Anspruch 1.\n',
    );
    assert.deepEqual(
      document.claims.map((c) => c.dependsOn),
      [[], [1]],
    );
    const other = await parseText('CLAIMS\n\nClaim 1. A gear.\nClaim 2. The gear of claim 1.\n');
    assert.equal(other.claims.length, 2);
  });
});

describe('parseDocumentText (an editor’s unsaved text)', () => {
  it('reads XML by its content and drafts by their name', async () => {
    const { parseDocumentText } = await import('../../../src/core/documents/index');
    const xml = readFileSync(XML, 'utf8');
    assert.equal((await parseDocumentText(xml, 'untitled:1')).format, 'uspto-xml');
    const markdown = readFileSync(join(FIXTURES, 'US20050004437A1.md'), 'utf8');
    const document = await parseDocumentText(markdown, 'file:///draft.md');
    assert.equal(document.format, 'markdown');
    assert.equal(document.claims.length, 10);
    assert.equal((await parseDocumentText('1. A gear.\n', 'untitled:2')).format, 'text');
  });
});

describe('a two-column PDF laid out like a US application publication', () => {
  it('reads columns in order, drops the running header and gutter line numbers, keeps every word', async () => {
    const xml = join(__dirname, '../../../../shared/data/uspto/US20050004974A1.xml');
    const reference = await parseFile(xml);
    const document = await parseFile(join(FIXTURES, 'US20050004974A1-two-columns.pdf'));
    assert.equal(document.paragraphs.length, 30);
    for (const [i, paragraph] of document.paragraphs.entries()) {
      assert.equal(paragraph.number, reference.paragraphs[i]!.number);
      assert.equal(paragraph.text, reference.paragraphs[i]!.text, `paragraph ${paragraph.number}`);
    }
    assert.equal(document.claims.length, reference.claims.length);
    for (const [i, claim] of document.claims.entries()) {
      assert.equal(claim.text, reference.claims[i]!.text, `claim ${claim.number}`);
      assert.deepEqual(claim.dependsOn, reference.claims[i]!.dependsOn);
    }
    assert.doesNotMatch(
      document.sourceText ?? '',
      /US 2005\/0004974 A1|Jan\. 6, 2005/,
      'running header dropped',
    );
  });
});

describe('Markdown drafts written by converters', () => {
  it('reads escaped claim and paragraph numbers ("1\\.", "\\[0012\\]")', async () => {
    const document = await parseDocument(
      new TextEncoder().encode(
        '# Gear\n\n\\[0012\\] A gear 10 turns.\n\n## Claims\n\n1\\. A gear comprising teeth.\n\n2\\. The gear of claim 1.\n',
      ),
      'pandoc.md',
    );
    assert.deepEqual(
      document.paragraphs.map((p) => [p.id, p.text, p.matchText]),
      [['p0012', 'A gear 10 turns.', 'A gear turns.']],
    );
    assert.deepEqual(
      document.claims.map((c) => [c.number, c.text, c.dependsOn]),
      [
        [1, 'A gear comprising teeth.', []],
        [2, 'The gear of claim 1.', [1]],
      ],
    );
  });
});
