import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CLAIMS } from '../../../src/core/documents/assemble';
import { parseGreenBook } from '../../../src/core/documents/greenbook';
import { claimReferencesInText, DocumentError } from '../../../src/core/documents/index';

const twenty = Array.from({ length: 20 }, (_, i) => i + 1);

describe('claim dependencies from the claim text', () => {
  const cases: [text: string, own: number, expected: number[]][] = [
    ['The method of claim 1, wherein the step is repeated.', 2, [1]],
    ['A device as claimed in claim 2, wherein', 3, [2]],
    ['The device according to any one of claims 8 to 12, wherein', 13, [8, 9, 10, 11, 12]],
    ['The device according to any one of the preceding claims, wherein', 4, [1, 2, 3]],
    ['Apparatus according to any preceding claim, wherein', 5, [1, 2, 3, 4]],
    ['The device of the preceding claim, wherein', 5, [4]],
    ['The system of claim 7, 8 or 9, wherein', 10, [7, 8, 9]],
    ['The system of claims 1-10, wherein', 11, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    ['The system of claims 1–3 and 5, wherein', 6, [1, 2, 3, 5]],
    ['The method of claim 1 or claim 2, wherein', 3, [1, 2]],
    ['The method of claims 1, 2, and 3, wherein', 4, [1, 2, 3]],
    ['The method as recited in claims 2 through 4', 5, [2, 3, 4]],
    ['Vorrichtung nach einem der Ansprüche 1 bis 3, wobei', 4, [1, 2, 3]],
    ['Dispositif selon l’une quelconque des revendications 1 à 3, dans lequel', 5, [1, 2, 3]],
    ['Verfahren nach einem der vorhergehenden Ansprüche', 3, [1, 2]],
    ['A method comprising 2 steps at claim-free 20 mm', 1, []],
    ['The method of claim 1, wherein 2 layers are formed', 3, [1]],
    ['A computer program product carrying out the method of claim 1.', 9, [1]],
  ];
  for (const [text, own, expected] of cases) {
    it(`claim ${own}: "${text}" → [${expected.join(', ')}]`, () => {
      assert.deepEqual(claimReferencesInText(text, own, twenty), expected);
    });
  }

  it('keeps only claims the document has, and never the claim itself', () => {
    assert.deepEqual(
      claimReferencesInText('according to any one of claims 1 to 99999', 4, [1, 2, 3, 4]),
      [1, 2, 3],
    );
    assert.deepEqual(claimReferencesInText('as in claim 4', 4, [1, 2, 3, 4]), []);
    assert.deepEqual(claimReferencesInText('as in claim 7', 4, [1, 2, 3, 4]), []);
  });

  it('stays linear on adversarial text', () => {
    const text = 'claims 1, '.repeat(50_000) + 'claim ' + '1 or '.repeat(50_000);
    const started = performance.now();
    assert.deepEqual(claimReferencesInText(text, 3, twenty), [1]);
    // A hang guard, not a speed claim: a quadratic scan of 800 kB would take minutes.
    assert.ok(performance.now() - started < 5000);
  });

  it('cuts ranges and "preceding claims" to the claims a document has when the numbers have gaps', () => {
    // The claim list of a document (gaps where claims were cancelled), passed unsorted as a parser may.
    const existing = [12, 1, 2, 5, 9, 10, 11, 2];
    assert.deepEqual(claimReferencesInText('as in any one of claims 2 to 10', 12, existing), [2, 5, 9, 10]);
    assert.deepEqual(claimReferencesInText('according to any preceding claim', 10, existing), [1, 2, 5, 9]);
    assert.deepEqual(claimReferencesInText('of claims 3-4 or claim 11', 12, existing), [11]);
    // The same list again (prepared once per list): the same answers.
    assert.deepEqual(claimReferencesInText('as in any one of claims 2 to 10', 12, existing), [2, 5, 9, 10]);
  });
});

describe('documents with many claims', () => {
  it(`more than ${MAX_CLAIMS.toLocaleString('en-US')} claims end in a too-large error naming the file`, () => {
    const many = ['PATN', 'WKU  039327094', 'CLMS'];
    for (let k = 1; k <= MAX_CLAIMS + 1; k++) many.push(`NUM  ${k}.`, `PAR  ${k}. The thing of claim 1.`);
    assert.throws(
      () => parseGreenBook(many.join('\n'), 'many.greenbook'),
      (error: unknown) =>
        error instanceof DocumentError &&
        error.problem === 'too-large' &&
        /^many\.greenbook: has 5,001 claims, more than the limit of 5,000\.$/.test(error.message),
    );
  });

  it('resolves the dependencies of a document at the limit', () => {
    const lines = ['PATN', 'WKU  039327094', 'CLMS'];
    for (let k = 1; k <= MAX_CLAIMS; k++) {
      const words =
        k === MAX_CLAIMS ? 'any preceding claim' : k % 2 === 0 ? `claims ${k - 3} to ${k - 1}` : 'a widget';
      lines.push(`NUM  ${k}.`, `PAR  ${k}. The thing of ${words}.`);
    }
    const claims = parseGreenBook(lines.join('\n'), 'limit.greenbook').claims;
    assert.equal(claims.length, MAX_CLAIMS);
    assert.deepEqual(claims[3]?.dependsOn, [1, 2, 3]);
    assert.deepEqual(claims[3001]?.dependsOn, [2999, 3000, 3001]);
    assert.equal(claims[MAX_CLAIMS - 1]?.dependsOn.length, MAX_CLAIMS - 1);
  });
});
