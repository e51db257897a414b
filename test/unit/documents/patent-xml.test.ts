/**
 * Every USPTO and EPO file in ../shared/data, checked against the XML's own markup, counted here with plain
 * regular expressions independently of the parser: claims, description paragraphs, <claim-ref> targets,
 * and that each range points at its element in the source.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  claimAtOffset,
  claimAtPosition,
  parseDocument,
  type PatentDocument,
} from '../../../src/core/documents/index';

const DATA = join(__dirname, '../../../../shared/data');
const files = ['uspto', 'ep'].flatMap((dir) =>
  readdirSync(join(DATA, dir))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => join(DATA, dir, f)),
);

/** The markup of the first element opened by `open` (a regex source) up to its closing tag. */
function block(source: string, open: RegExp, close: string): string {
  const start = source.search(open);
  assert.ok(start >= 0, `no ${open} in file`);
  const end = source.indexOf(close, start);
  return source.slice(start, end + close.length);
}

/** The English claims block of an EPO file, or the only claims block of a USPTO file. */
function claimsBlock(source: string): string {
  return source.includes('<claims id="claims01" lang=')
    ? block(source, /<claims [^>]*lang="en"/, '</claims>')
    : block(source, /<claims[\s>]/, '</claims>');
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** Line and character of an offset, counted the slow, obvious way (these files use "\n" only). */
function lineCharacter(source: string, offset: number): { line: number; character: number } {
  const before = source.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

const parsed = new Map<string, { source: string; document: PatentDocument }>();
async function load(file: string) {
  let entry = parsed.get(file);
  if (!entry) {
    const bytes = readFileSync(file);
    entry = { source: bytes.toString('utf8'), document: await parseDocument(bytes, file) };
    parsed.set(file, entry);
  }
  return entry;
}

describe('patent XML from ../shared/data', () => {
  it('finds the eight shared files', () => {
    assert.equal(files.length, 8);
  });

  for (const file of files) {
    const name = file.split('/').slice(-2).join('/');
    describe(name, () => {
      it('has the claims of the (English) claims block, numbered 1..n', async () => {
        const { source, document } = await load(file);
        const expected = count(claimsBlock(source), /<claim[\s>]/g);
        assert.ok(expected > 0);
        assert.equal(document.claims.length, expected);
        assert.deepEqual(
          document.claims.map((c) => c.number),
          Array.from({ length: expected }, (_, i) => i + 1),
        );
        for (const claim of document.claims) {
          assert.ok(claim.text.length > 20, `claim ${claim.number} has text`);
          assert.doesNotMatch(claim.text, /<|>/, 'no markup left in claim text');
          assert.doesNotMatch(claim.text, /^\d+\s*\./, 'the printed number is not part of the text');
        }
      });

      it('has one paragraph per <p> of the description (but num="heading-…"), with its printed number', async () => {
        const { source, document } = await load(file);
        const description = block(source, /<description[\s>]/, '</description>');
        const numbers = [...description.matchAll(/<p[\s>][^>]*?num="(\d+)"/g)].map((m) => m[1]);
        // USPTO applications mark a few headings as <p num="heading-0086">: those are headings.
        assert.equal(document.paragraphs.length, count(description, /<p[\s>](?![^>]*num="heading)/g));
        assert.deepEqual(
          document.paragraphs.map((p) => p.number),
          numbers,
        );
        assert.equal(
          new Set(document.paragraphs.map((p) => p.id)).size,
          document.paragraphs.length,
          'ids unique',
        );
      });

      it('resolves every <claim-ref idref> to the claim it names', async () => {
        const { source, document } = await load(file);
        const claims = claimsBlock(source);
        const numberById = new Map(
          [...claims.matchAll(/<claim id="([^"]+)" num="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]),
        );
        let refs = 0;
        for (const m of claims.matchAll(/<claim id="([^"]+)" num="(\d+)"[\s\S]*?<\/claim>/g)) {
          const claim = document.claims.find((c) => c.number === Number(m[2]));
          assert.ok(claim);
          const targets = [...m[0].matchAll(/<claim-ref idref="([^"]+)"/g)].map((r) => numberById.get(r[1]!));
          refs += targets.length;
          for (const target of targets) {
            assert.ok(
              target !== undefined && claim.dependsOn.includes(target),
              `claim ${claim.number} → ${target}`,
            );
          }
          if (targets.length > 0) {
            assert.deepEqual(
              claim.dependsOn,
              [...new Set(targets as number[])].sort((a, b) => a - b),
            );
          }
        }
        if (name.startsWith('uspto/')) assert.ok(refs > 0, 'USPTO files mark dependencies');
        // A claim never depends on itself or on a claim the document lacks.
        for (const claim of document.claims) {
          assert.ok(!claim.dependsOn.includes(claim.number));
          for (const n of claim.dependsOn) assert.ok(n >= 1 && n <= document.claims.length);
        }
      });

      it('gives ranges that point at the element in the source, with matching line/character', async () => {
        const { source, document } = await load(file);
        for (const claim of document.claims) {
          const markup = source.slice(claim.range.startOffset, claim.range.endOffset);
          assert.match(markup, /^<claim [^>]*num="0*(\d+)"/);
          assert.equal(Number(/num="(\d+)"/.exec(markup)![1]), claim.number);
          assert.ok(markup.endsWith('</claim>'));
          assert.deepEqual(claim.range.start, lineCharacter(source, claim.range.startOffset));
          assert.deepEqual(claim.range.end, lineCharacter(source, claim.range.endOffset));
          const firstWords = claim.text.split(' ').slice(0, 3).join(' ');
          assert.ok(
            markup
              .replace(/<[^>]*>/g, '')
              .replace(/\s+/g, ' ')
              .includes(firstWords),
          );
        }
        for (const paragraph of document.paragraphs) {
          const markup = source.slice(paragraph.range.startOffset, paragraph.range.endOffset);
          assert.match(markup, /^<p[\s>]/);
          assert.ok(markup.endsWith('</p>'));
          if (paragraph.number) assert.ok(markup.includes(`num="${paragraph.number}"`));
          assert.deepEqual(paragraph.range.start, lineCharacter(source, paragraph.range.startOffset));
        }
      });

      it('finds the claim under a cursor anywhere inside it, and none between claims', async () => {
        const { source, document } = await load(file);
        for (const claim of document.claims) {
          const { startOffset, endOffset } = claim.range;
          for (const offset of [startOffset, Math.floor((startOffset + endOffset) / 2), endOffset]) {
            assert.equal(claimAtOffset(document, offset)?.number, claim.number);
            assert.equal(claimAtPosition(document, lineCharacter(source, offset))?.number, claim.number);
          }
        }
        assert.equal(claimAtOffset(document, 0), undefined);
        assert.equal(claimAtOffset(document, document.claims[0]!.range.startOffset - 1), undefined);
        assert.equal(claimAtPosition(document, { line: 0, character: 0 }), undefined);
      });
    });
  }
});

describe('EPO documents', () => {
  it('keeps the English claims of a B document that repeats them in German and French', async () => {
    const file = join(DATA, 'ep/grant-v1-4-B1.xml');
    const { source, document } = await load(file);
    assert.equal(count(source, /<claim[\s>]/g), 36, 'the file holds 3 × 12 claims');
    assert.equal(document.language, 'en');
    assert.equal(document.claims.length, 12);
    assert.ok(document.claims.every((c) => !/\b(?:Vorrichtung|Anspruch|revendication)\b/i.test(c.text)));
    assert.equal(document.publicationNumber, 'EP0449582B1');
    assert.equal(document.title, 'Measuring method and apparatus');
  });

  it('reads dependencies from the words of EPO claims (no <claim-ref> there)', async () => {
    const { document } = await load(join(DATA, 'ep/grant-v1-4-B1.xml'));
    const deps = (n: number) => document.claims.find((c) => c.number === n)?.dependsOn;
    assert.deepEqual(deps(1), []);
    assert.deepEqual(deps(2), [1]); // "according to claim 1"
    assert.deepEqual(deps(4), [1, 2, 3]); // "according to any preceding claim"
    assert.deepEqual(deps(6), [1, 2, 3, 4]); // "according to any of claims 1 to 4"
    assert.deepEqual(deps(7), []);
    assert.deepEqual(deps(10), [7, 8, 9]); // "according to any of claims 7 to 9"
    const b2 = (await load(join(DATA, 'ep/grant-v1-2-B2.xml'))).document;
    assert.deepEqual(b2.claims[2]?.dependsOn, [1, 2]); // "according to claim 1 or 2"
  });

  it('drops page-break comments and reference signs for matching, keeps them for display', async () => {
    const { document } = await load(join(DATA, 'ep/grant-v1-4-B1.xml'));
    const claim1 = document.claims[0]!;
    assert.ok(
      claim1.text.includes('diffraction gratings (107, 108; U, L) provided on the same substrate (103; 417)'),
    );
    assert.ok(
      claim1.matchText.includes('diffraction gratings provided on the same substrate, said apparatus'),
    );
    assert.doesNotMatch(claim1.text, /EPO|DP n=/);
    assert.ok(
      claim1.text.includes('first and second diffraction gratings'),
      'words split by a page-break comment join',
    );
  });
});

describe('USPTO documents', () => {
  it('reads bibliographic data and strips bold reference numerals for matching', async () => {
    const { document } = await load(join(DATA, 'uspto/US08926509.xml'));
    assert.equal(document.publicationNumber, 'US08926509B2');
    assert.ok(document.title?.startsWith('Wireless physiological sensor patches'));
    const paragraph = document.paragraphs.find((p) => p.text.includes('signal processor 104, such as'));
    assert.ok(paragraph, 'a paragraph with a bold numeral');
    assert.ok(paragraph.matchText.includes('signal processor, such as'));
    assert.ok(document.abstract && document.abstract.length > 50);
  });

  it("keeps an application's unnumbered abstract out of the paragraphs", async () => {
    const { document } = await load(join(DATA, 'uspto/US20050004437A1.xml'));
    assert.equal(document.paragraphs[0]?.id, 'p0001');
    assert.equal(document.publicationNumber, 'US20050004437A1');
  });
});
