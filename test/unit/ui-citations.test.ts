/** The UI's pure helpers (src/shared/): citations in examiner style, exports, highlighting, message checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignCitationKeys,
  citation,
  citationList,
  exportCsv,
  exportMarkdown,
  formatPublicationNumber,
  paragraphLabel,
} from '../../src/shared/citations';
import { highlightSegments, sharedWords } from '../../src/shared/highlight';
import {
  parsePersistedState,
  parseWebviewMessage,
  type ResultItem,
  type ResultsView,
} from '../../src/shared/protocol';

function item(
  rank: number,
  uri: string,
  key: string,
  label: string,
  paragraph: string,
  text = 'text',
): ResultItem {
  return {
    id: `${uri}#${paragraph}`,
    rank,
    score: 1 - rank / 10,
    uri,
    fileName: uri.split('/').pop()!,
    documentLabel: label,
    citationKey: key,
    role: key === 'Spec.' ? 'specification' : 'prior-art',
    paragraphId: paragraph,
    paragraphLabel: paragraph,
    text,
    matchedTerms: [],
    range: { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 4 },
  };
}

describe('citations', () => {
  it('writes publication numbers as search reports do', () => {
    assert.equal(formatPublicationNumber('US8926509B2'), 'US 8,926,509 B2');
    assert.equal(formatPublicationNumber('US07272630B2'), 'US 7,272,630 B2');
    assert.equal(formatPublicationNumber('US20050004437A1'), 'US 2005/0004437 A1');
    assert.equal(formatPublicationNumber('EP1234567A1'), 'EP 1 234 567 A1');
    assert.equal(formatPublicationNumber('WO2005012345A1'), 'WO 2005/012345 A1');
    assert.equal(formatPublicationNumber('draft-ecg-patch.md'), 'draft-ecg-patch.md');
  });

  it('writes pre-2001 US grants and their lettered series as search reports do', () => {
    assert.equal(formatPublicationNumber('US3932709A'), 'US 3,932,709 A');
    assert.equal(formatPublicationNumber('US6336130B1'), 'US 6,336,130 B1');
    assert.equal(formatPublicationNumber('US20010000044A1'), 'US 2001/0000044 A1');
    assert.equal(formatPublicationNumber('USRE28451E'), 'US RE28,451 E');
    assert.equal(formatPublicationNumber('USD456789S'), 'US D456,789 S');
    assert.equal(formatPublicationNumber('USPP4123P'), 'US PP4,123 P');
  });

  it('labels paragraphs by their printed number, else by position', () => {
    assert.equal(paragraphLabel('0012', 'p0012'), '[0012]');
    assert.equal(paragraphLabel(undefined, 'o5'), 'paragraph 5');
  });

  it('says when a paragraph number is counted in reading order (Green Book grants print none)', () => {
    assert.equal(paragraphLabel(undefined, 'r12'), 'col./para. 12');
    const items = [
      item(1, 'file:///gb', 'D1', 'US 3,932,709 A', paragraphLabel(undefined, 'r12')),
      item(2, 'file:///gb', 'D1', 'US 3,932,709 A', paragraphLabel(undefined, 'r3')),
      item(3, 'file:///x', 'D2', 'US 8,926,509 B2', paragraphLabel('0012', 'p0012')),
    ];
    assert.equal(citation(items[0]!), 'D1: US 3,932,709 A, col./para. 12');
    assert.equal(
      citationList(items),
      'D1: US 3,932,709 A, col./para. 12, 3\nD2: US 8,926,509 B2, paragraph [0012]',
    );
  });

  it('numbers prior-art documents D1, D2… in order of first appearance; the specification is "Spec."', () => {
    const keys = assignCitationKeys([
      { uri: 'a', role: 'prior-art' },
      { uri: 'spec', role: 'specification' },
      { uri: 'b', role: 'prior-art' },
      { uri: 'a', role: 'prior-art' },
    ]);
    assert.deepEqual(
      [...keys],
      [
        ['a', 'D1'],
        ['spec', 'Spec.'],
        ['b', 'D2'],
      ],
    );
  });

  it('formats a citation and a list grouped per document', () => {
    const items = [
      item(1, 'file:///a.xml', 'D1', 'US 8,926,509 B2', '[0012]'),
      item(2, 'file:///b.xml', 'D2', 'EP 1 234 567 A1', '[0003]'),
      item(3, 'file:///a.xml', 'D1', 'US 8,926,509 B2', '[0040]'),
    ];
    assert.equal(citation(items[0]!), 'D1: US 8,926,509 B2, paragraph [0012]');
    assert.equal(
      citationList(items),
      'D1: US 8,926,509 B2, paragraphs [0012], [0040]\nD2: EP 1 234 567 A1, paragraph [0003]',
    );
  });

  it('exports Markdown and CSV with every passage, quoting what needs quoting', () => {
    const results: ResultsView = {
      searchId: 1,
      query: { title: 'Claim 1', source: 'draft.md', text: 'A patch, comprising | a radio' },
      items: [item(1, 'file:///a.xml', 'D1', 'US 8,926,509 B2', '[0012]', 'He said "radio", then\nleft')],
      mode: 'hybrid',
      topK: 10,
    };
    const md = exportMarkdown(results);
    assert.match(md, /^# Passages similar to Claim 1 \(draft\.md\)/);
    assert.match(md, /A patch, comprising \\\| a radio/);
    assert.match(
      md,
      /\| 1 \| 0\.900 \| US 8,926,509 B2 \| \[0012\] \| D1: US 8,926,509 B2, paragraph \[0012\] \|/,
    );
    const csv = exportCsv(results).split('\r\n');
    assert.equal(csv[0], 'rank,score,citation_key,document,paragraph,citation,file,text');
    assert.equal(
      csv[1],
      '1,0.9000,D1,"US 8,926,509 B2",[0012],"D1: US 8,926,509 B2, paragraph [0012]",file:///a.xml,"He said ""radio"", then\nleft"',
    );
  });
});

describe('CSV export safety', () => {
  it('defuses text a spreadsheet would run as a formula', () => {
    const results: ResultsView = {
      searchId: 1,
      query: { title: 'Claim 1', source: 'draft.md', text: 'q' },
      items: [
        item(1, 'file:///a.xml', 'D1', 'US 1 B1', '[0001]', '=HYPERLINK("http://x")'),
        item(2, 'file:///b.xml', 'D2', '@SUM', '[0002]', '- a list item'),
      ],
      mode: 'lexical',
      topK: 2,
    };
    const rows = exportCsv(results).split('\r\n');
    assert.ok(rows[1]!.endsWith(`,"'=HYPERLINK(""http://x"")"`), rows[1]);
    assert.match(rows[2]!, /,'@SUM,/);
    assert.ok(rows[2]!.endsWith(",'- a list item"), rows[2]);
  });
});

describe('highlighting', () => {
  it('marks whole words, case-insensitively, longest term first', () => {
    const segments = highlightSegments('The Radio and radios; a signal processor.', [
      'radio',
      'signal processor',
      'signal',
    ]);
    assert.deepEqual(
      segments.filter((s) => s.match).map((s) => s.text),
      ['Radio', 'signal processor'],
    );
    assert.equal(segments.map((s) => s.text).join(''), 'The Radio and radios; a signal processor.');
  });

  it('finds shared words when the index gave none', () => {
    assert.deepEqual(sharedWords('a buffer memory and a radio', 'The radio reads the buffer.'), [
      'radio',
      'buffer',
    ]);
  });
});

describe('webview messages', () => {
  it('accepts well-formed messages and rejects the rest', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'open', itemId: 'x' }), { type: 'open', itemId: 'x' });
    assert.deepEqual(parseWebviewMessage({ type: 'setTopK', topK: 20 }), { type: 'setTopK', topK: 20 });
    assert.equal(parseWebviewMessage({ type: 'setTopK', topK: 1e9 }), undefined);
    assert.equal(parseWebviewMessage({ type: 'setMode', mode: 'magic' }), undefined);
    assert.deepEqual(parseWebviewMessage({ type: 'setElementMatching', enabled: true }), {
      type: 'setElementMatching',
      enabled: true,
    });
    assert.equal(parseWebviewMessage({ type: 'setElementMatching', enabled: 'yes' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'open' }), undefined);
    assert.equal(parseWebviewMessage('ready'), undefined);
    assert.equal(parsePersistedState({ view: 'panel', results: { items: 'no' } }), undefined);
    assert.deepEqual(parsePersistedState({ view: 'sidebar' }), {
      view: 'sidebar',
      results: undefined,
      settings: undefined,
    });
  });
});
