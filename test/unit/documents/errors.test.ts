/** Bad input of every kind ends in a DocumentError that names the file and the problem. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import {
  DocumentError,
  parseDocument,
  SUPPORTED_EXTENSIONS,
  type DocumentProblem,
} from '../../../src/core/documents/index';

const DATA = join(__dirname, '../../../../shared/data');
const FIXTURES = join(__dirname, '../../fixtures/documents');
const encode = (text: string) => new TextEncoder().encode(text);

async function rejects(
  bytes: Uint8Array,
  name: string,
  problem: DocumentProblem,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(parseDocument(bytes, name), (error: unknown) => {
    assert.ok(error instanceof DocumentError, `a DocumentError, got ${String(error)}`);
    assert.equal(error.problem, problem, error.message);
    assert.equal(error.file, name);
    assert.ok(error.message.startsWith(`${name}: `));
    if (message) assert.match(error.message, message);
    return true;
  });
}

const usGrant = (claims: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<us-patent-grant lang="EN"><description><p num="0001">A gear.</p></description><claims>${claims}</claims></us-patent-grant>`;

describe('bad input', () => {
  it('empty and whitespace-only files', async () => {
    await rejects(new Uint8Array(), 'empty.txt', 'empty', /is empty/);
    await rejects(encode('  \n\t\n'), 'blank.md', 'empty');
    await rejects(
      encode('<?xml version="1.0"?>\n<us-patent-grant/>'),
      'no-content.xml',
      'empty',
      /no claims/,
    );
  });

  it('binary files, whatever their extension', async () => {
    const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    await rejects(binary, 'image.txt', 'binary');
    await rejects(binary, 'data.xml', 'binary');
    await rejects(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 'archive.zip', 'unknown-format', /ZIP/);
    await rejects(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 'broken.docx', 'malformed', /Word/);
    await rejects(encode('%PDF-1.7\n%garbage that is no PDF'), 'broken.pdf', 'malformed', /PDF/);
    await rejects(encode('plain words'), 'fake.pdf', 'malformed', /does not start like a PDF/);
  });

  it('unsupported extensions, and lists the supported ones', async () => {
    await rejects(encode('{"a": 1}'), 'package.json', 'unknown-format', /\.json/);
    assert.deepEqual([...SUPPORTED_EXTENSIONS].sort(), [
      '.docx',
      '.greenbook',
      '.markdown',
      '.md',
      '.pdf',
      '.sgm',
      '.sgml',
      '.text',
      '.txt',
      '.xml',
    ]);
  });

  it('files over the size limit, before reading them', async () => {
    await assert.rejects(
      parseDocument(new Uint8Array(2048), 'big.txt', { maxBytes: 1024 }),
      /larger than the limit/,
    );
    await rejects(new Uint8Array(21 * 1024 * 1024), 'huge.txt', 'too-large', /21\.0 MB/);
  });

  it('XML that is not UTF-8, or not what it declares', async () => {
    // One Latin-1 file ("café" with é = 0xE9), once declared UTF-8 (wrong) and once ISO-8859-1 (right).
    const latin1 = (declared: string) =>
      Uint8Array.from(
        usGrant('<claim num="1"><claim-text>1. A gear of caf\u00e9.</claim-text></claim>').replace(
          'UTF-8',
          declared,
        ),
        (c) => c.charCodeAt(0),
      );
    await rejects(
      latin1('UTF-8'),
      'latin.xml',
      'encoding',
      /not valid utf-8 \(first bad byte at offset \d+\)/,
    );
    const document = await parseDocument(latin1('ISO-8859-1'), 'latin1.xml');
    assert.equal(document.encoding, 'windows-1252'); // the WHATWG name for ISO-8859-1
    assert.equal(document.claims[0]?.text, 'A gear of café.');
    await rejects(
      encode(usGrant('').replace('UTF-8', 'x-unheard-of')),
      'odd.xml',
      'encoding',
      /not supported/,
    );
  });

  it('truncated and malformed XML, naming the line and column', async () => {
    const source = readFileSync(join(DATA, 'uspto/US08930553.xml'));
    // Cut before the claims and the description: nothing intact is left.
    await rejects(
      source.subarray(0, 4_000),
      'truncated.xml',
      'malformed',
      /not well-formed XML at line \d+, column \d+: the text ends inside </,
    );
    await rejects(encode('<?xml version="1.0"?>\n<a><b></a>'), 'unbalanced.xml', 'malformed', /line 2/);
    await rejects(
      encode('<?xml version="1.0"?>\n<html><body/></html>'),
      'other.xml',
      'unknown-format',
      /<html>/,
    );
    await rejects(encode(`<?xml version="1.0"?>\n${'<a>'.repeat(10_000)}`), 'deep.xml', 'malformed', /deep/);
  });

  it('never resolves an external entity', async () => {
    const xxe = usGrant('<claim num="1"><claim-text>1. A gear &xxe; here.</claim-text></claim>').replace(
      '<us-patent-grant',
      '<!DOCTYPE us-patent-grant [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n<us-patent-grant',
    );
    const document = await parseDocument(encode(xxe), 'xxe.xml');
    assert.equal(document.claims[0]?.text, 'A gear &xxe; here.');
    assert.doesNotMatch(JSON.stringify(document), /root:/);
  });

  it('does not expand an entity bomb (billion laughs)', async () => {
    let entities = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i - 1 || ''};`.repeat(10)}">`;
    const bomb = usGrant('<claim num="1"><claim-text>1. A gear &lol9;.</claim-text></claim>').replace(
      '<us-patent-grant',
      `<!DOCTYPE us-patent-grant [ ${entities} ]>\n<us-patent-grant`,
    );
    const document = await parseDocument(encode(bomb), 'bomb.xml');
    assert.equal(document.claims[0]?.text, 'A gear &lol9;.');
  });
});

describe('patent-passages parse', () => {
  async function run(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }

  it('prints the document as JSON', async () => {
    const result = await run(['parse', join(DATA, 'ep/grant-v1-4-B1.xml'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as {
      format: string;
      claims: { number: number; text: string; dependsOn: number[]; range: { start: { line: number } } }[];
      paragraphs: { id: string; number?: string; text: string; range: object }[];
    };
    assert.equal(output.format, 'epo-xml');
    assert.equal(output.claims.length, 12);
    assert.deepEqual(output.claims[5]?.dependsOn, [1, 2, 3, 4]);
    assert.equal(output.claims[0]?.range.start.line, 121);
    assert.equal(output.paragraphs[0]?.id, 'p0001');
    assert.equal(output.paragraphs[0]?.number, '0001');
  });

  it('prints a readable summary', async () => {
    const result = await run(['parse', join(FIXTURES, 'US20050004437A1.docx')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /docx/);
    assert.match(result.stdout, /10 claims \(independent: 1\); 8 paragraphs/);
    assert.match(result.stdout, /claim 2 → 1/);
  });

  it('fails with a clear message and no stack trace on files it cannot read', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pp-parse-'));
    const corrupt = join(folder, 'corrupt.xml');
    writeFileSync(corrupt, '<?xml version="1.0"?>\n<us-patent-grant><claims>');
    for (const [args, pattern] of [
      [['parse', join(folder, 'missing.xml')], /cannot read .*missing\.xml: no such file/],
      [['parse', corrupt], /corrupt\.xml: is not well-formed XML at line 2/],
      [['parse', folder], /is a folder/],
      [['parse'], /no file given/],
    ] as const) {
      const result = await run([...args]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, pattern);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(result.stdout, '');
    }
  });
});
