/** matchText on real phrases from the shared USPTO and EPO documents, and on the cases the issue names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripReferenceSigns } from '../../../src/core/documents/index';

describe('reference signs stripped for matching', () => {
  const stripped: [string, string][] = [
    ['a storage box (10) having a lid (12a, 12b);', 'a storage box having a lid;'],
    ['the sink device 3200 receives the stream', 'the sink device receives the stream'],
    // EP 0449582 B1, claim 1
    [
      'first and second diffraction gratings (107, 108; U, L) provided on the same substrate (103; 417), said apparatus',
      'first and second diffraction gratings provided on the same substrate, said apparatus',
    ],
    ['coherent light beams (127-1, 127-2) at the first', 'coherent light beams at the first'],
    // EP 3782854 A1 description
    ['the storage box 10 so that the display', 'the storage box so that the display'],
    // US 8,926,509 (bold numerals in the XML)
    [
      'a medical signal processor 104, such as a μ-Base that',
      'a medical signal processor, such as a μ-Base that',
    ],
    ['of patches 102 attached to a person 101. The patches', 'of patches attached to a person. The patches'],
    ['gears 14, 16 and 18 rotate', 'gears rotate'],
    ['the housing 12 is connected to the frame 14.', 'the housing is connected to the frame.'],
  ];
  for (const [input, expected] of stripped) {
    it(`"${input}"`, () => assert.equal(stripReferenceSigns(input), expected));
  }

  const kept = [
    'The method of claim 1, wherein',
    'a thickness of 10 to 20 mm',
    // EP 0430402 B2 description
    'incubated at 37°C for 24 hours prior',
    'culture for 2 to 5 weeks',
    'always be 25 to 200 kb',
    'heated to 200 °C',
    'comprising 3 layers',
    'a compound of formula (I) or formula (1)',
    'as reported by Smith et al. (1998)',
    'filed Jun. 6, 2001, Ser. No. 09/876,376',
    'FIG. 3 shows',
    'a mixture of 1.5 mm particles and 20% water',
    'H2O and CO2 at pH 7',
    // EP 0430402 B2 citations and names
    'Science, Vol. 221, pp. 227-236',
    'Models (Cambridge Univ. Press 1986)',
    'al., Blood 73 (8):1-6',
    'specific to Chromosome 4 were',
    'as follows. 1 ml of buffer',
    'on chromosome 21 or a trisomy 21 cell with t(9;22)',
  ];
  for (const input of kept) {
    it(`keeps "${input}"`, () => assert.equal(stripReferenceSigns(input), input));
  }

  it('stays linear on adversarial text', () => {
    const text = 'box (1, '.repeat(20_000) + 'x 1 '.repeat(50_000);
    const started = performance.now();
    stripReferenceSigns(text);
    assert.ok(performance.now() - started < 5000, 'hang guard');
  });
});
