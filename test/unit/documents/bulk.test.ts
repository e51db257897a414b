/**
 * Bulk files (bulk.ts, bulk-split.ts, `DocumentParser.parseFile`, `parse --jsonl`): the shared USPTO
 * documents concatenated as the weekly full-text files concatenate them (each with its own declaration
 * and DOCTYPE), zipped, damaged, and read through the document worker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../src/cli/main';
import {
  countDocuments,
  detectBulk,
  DocumentParser,
  parseBulkFile,
  readDocuments,
  type BulkItem,
  type BulkProgress,
  type PatentDocument,
  type SourceRange,
} from '../../../src/core/documents/index';
import { DocumentSplitter, TextCounter } from '../../../src/core/documents/bulk-split';
import { LineIndex } from '../../../src/core/documents/source-text';
import { writeZip } from '../../support/zip-writer';

const DATA = join(__dirname, '../../../../shared/data');
const US = readdirSync(join(DATA, 'uspto'))
  .filter((f) => f.endsWith('.xml'))
  .sort()
  .map((f) => join(DATA, 'uspto', f));

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

async function collect(items: AsyncIterable<BulkItem>): Promise<BulkItem[]> {
  const all: BulkItem[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function documentsOf(items: BulkItem[]): PatentDocument[] {
  return items.flatMap((item) => ('document' in item ? [item.document] : []));
}

interface JsonDocument {
  publicationNumber?: string;
  claims: { range: SourceRange }[];
  paragraphs: { range: SourceRange }[];
}

/** The `--json` object without its ranges (they differ: a bulk document's are placed in the whole file). */
function withoutRanges(document: JsonDocument): unknown {
  return {
    ...document,
    claims: document.claims.map(({ range: _range, ...rest }) => rest),
    paragraphs: document.paragraphs.map(({ range: _range, ...rest }) => rest),
  };
}

/** Every range of `bulk` covers, in `bulkText`, the text `single`'s range covers in `singleText`, and its line/character agree. */
function assertSameTextAt(
  bulk: JsonDocument,
  bulkText: string,
  single: JsonDocument,
  singleText: string,
): void {
  const lines = new LineIndex(bulkText);
  const pairs = [
    ...bulk.claims.map((c, i) => [c.range, single.claims[i]!.range] as const),
    ...bulk.paragraphs.map((p, i) => [p.range, single.paragraphs[i]!.range] as const),
  ];
  assert.ok(pairs.length > 0);
  for (const [inBulk, inSingle] of pairs) {
    assert.equal(
      bulkText.slice(inBulk.startOffset, inBulk.endOffset),
      singleText.slice(inSingle.startOffset, inSingle.endOffset),
    );
    assert.deepEqual(inBulk.start, lines.positionAt(inBulk.startOffset));
    assert.deepEqual(inBulk.end, lines.positionAt(inBulk.endOffset));
  }
}

let folder: string;
let bulkPath: string;
let bulkText: string;

before(() => {
  folder = mkdtempSync(join(tmpdir(), 'pp-bulk-'));
  bulkPath = join(folder, 'ipg-weekly.xml');
  // As in the weekly files: one document after the other, each with its declaration and DOCTYPE.
  writeFileSync(bulkPath, Buffer.concat(US.map((f) => readFileSync(f))));
  bulkText = readFileSync(bulkPath, 'utf8');
});

after(() => rmSync(folder, { recursive: true, force: true }));

describe('bulk files', () => {
  it('parse --jsonl prints each concatenated document as parse --json prints the single file', async () => {
    assert.equal(US.length, 5);
    const result = await runCli(['parse', bulkPath, '--jsonl']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, US.length);
    for (const [i, file] of US.entries()) {
      const single = await runCli(['parse', file, '--json']);
      assert.equal(single.code, 0);
      const expected = JSON.parse(single.stdout) as JsonDocument;
      const actual = JSON.parse(lines[i]!) as JsonDocument;
      assert.ok(expected.publicationNumber);
      assert.deepEqual(withoutRanges(actual), withoutRanges(expected), file);
      assertSameTextAt(actual, bulkText, expected, readFileSync(file, 'utf8'));
    }
  });

  it("parse --jsonl of a single document prints it as --json does; a bulk file's summaries are headed by their place; --json of a bulk file says to use --jsonl", async () => {
    const single = await runCli(['parse', US[0]!, '--json']);
    const lines = await runCli(['parse', US[0]!, '--jsonl']);
    assert.equal(lines.code, 0);
    assert.equal(lines.stdout, single.stdout);
    const summaries = await runCli(['parse', bulkPath]);
    assert.equal(summaries.code, 0);
    assert.deepEqual(
      summaries.stdout.match(/^--- document \d+ \(line \d+\)$/gm)?.map((l) => l.split(' ')[2]),
      ['1', '2', '3', '4', '5'],
    );
    const refused = await runCli(['parse', bulkPath, '--json']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /holds several documents: use --jsonl/);
  });

  it('reads a .zip of the bulk file (deflated and stored entries) without unpacking it to disk', async () => {
    const zipPath = join(folder, 'ipg-weekly.zip');
    const bytes = readFileSync(bulkPath);
    writeZip(zipPath, [
      { name: 'ipg-weekly.xml', data: bytes },
      { name: 'README.pdf', data: Buffer.from('not a bulk entry') },
      {
        name: 'stored/ipg-two.xml',
        data: Buffer.concat(US.slice(0, 2).map((f) => readFileSync(f))),
        deflate: false,
      },
    ]);
    assert.equal(await detectBulk(zipPath), true);
    const fromFile = documentsOf(await collect(parseBulkFile(bulkPath)));
    const items = await collect(parseBulkFile(zipPath));
    assert.equal(items.length, US.length + 2);
    assert.ok(items.every((item) => 'document' in item));
    assert.deepEqual(
      items.map((item) => item.position.entry),
      [...US.map(() => 'ipg-weekly.xml'), 'stored/ipg-two.xml', 'stored/ipg-two.xml'],
    );
    // The first entry is the whole bulk file: the same documents, ranges relative to the entry's text.
    assert.deepEqual(
      documentsOf(items)
        .slice(0, US.length)
        .map((d) => ({ ...d, uri: bulkPath })),
      fromFile,
    );
    const cli = await runCli(['parse', zipPath, '--jsonl']);
    assert.equal(cli.code, 0);
    assert.equal(cli.stdout.trimEnd().split('\n').length, US.length + 2);
  });

  it('names a document that cannot be read by number and line, and reads the others', async () => {
    const texts = US.map((f) => readFileSync(f, 'utf8'));
    // Document 3 is cut off after its DOCTYPE, as by a broken transfer: no element at all.
    texts[2] = texts[2]!.split('\n').slice(0, 2).join('\n') + '\n';
    const path = join(folder, 'damaged.xml');
    writeFileSync(path, texts.join(''));
    const items = await collect(parseBulkFile(path));
    assert.equal(items.length, US.length);
    const bad = items[2]!;
    assert.ok('error' in bad, 'the third item is an error');
    const startLine = texts.slice(0, 2).join('').split('\n').length; // 1-based line where document 3 starts
    assert.equal(bad.position.ordinal, 3);
    assert.equal(bad.position.line + 1, startLine);
    assert.equal(bad.error.message, `${path}: document 3 (line ${startLine}): holds no XML element.`);
    assert.deepEqual(
      documentsOf(items).map((d) => d.publicationNumber),
      ['US07272630B2', 'US08926509B2', 'US20050004437A1', 'US20050004974A1'],
    );
    const cli = await runCli(['parse', path, '--jsonl']);
    assert.equal(cli.code, 0);
    assert.equal(cli.stdout.trimEnd().split('\n').length, 4);
    assert.match(cli.stderr, /document 3 \(line \d+\): holds no XML element/);
    assert.match(cli.stderr, /4 documents read, 1 could not be read/);
  });

  it("a repaired document's warning names the document and a line of the whole file", async () => {
    const texts = US.map((f) => readFileSync(f, 'utf8'));
    // Document 3 loses its closing root tag and gains an unclosed element: repaired, with a warning.
    texts[2] = texts[2]!.replace(/<\/us-patent-grant>\s*$/, '<broken>\n');
    const path = join(folder, 'repaired.xml');
    writeFileSync(path, texts.join(''));
    const items = await collect(parseBulkFile(path));
    const repaired = items[2]!;
    assert.ok('document' in repaired);
    const startLine = texts.slice(0, 2).join('').split('\n').length;
    const endLine = texts.slice(0, 3).join('').split('\n').length;
    const warning = repaired.document.warnings?.[0] ?? '';
    assert.ok(warning.startsWith(`${path}: document 3 (line ${startLine}): repaired damaged XML`), warning);
    const line = Number(/at line (\d+), column \d+/.exec(warning)?.[1]);
    assert.ok(line >= startLine && line <= endLine, `${line} within ${startLine}-${endLine}`);
    assert.ok(items.every((item, i) => i === 2 || ('document' in item && !item.document.warnings)));
  });

  it('skips a document over the size limit without buffering it, and reads the others', async () => {
    const sizes = US.map((f) => readFileSync(f).length);
    const limit = 100 * 1024;
    const items = await collect(readDocuments(bulkPath, { maxDocumentBytes: limit }));
    assert.equal(items.length, US.length);
    items.forEach((item, i) => {
      if (sizes[i]! > limit) {
        assert.ok('error' in item && item.error.problem === 'too-large', `document ${i + 1} refused`);
      } else assert.ok('document' in item, `document ${i + 1} read`);
    });
    assert.ok(sizes.some((s) => s > limit) && sizes.some((s) => s <= limit));
  });

  it('stops reading when aborted mid-stream, and reports progress up to the file size', async () => {
    const parser = new DocumentParser();
    try {
      const controller = new AbortController();
      const progress: BulkProgress[] = [];
      const seen: BulkItem[] = [];
      await assert.rejects(
        (async () => {
          for await (const item of parser.parseFile(bulkPath, {
            signal: controller.signal,
            onProgress: (p) => progress.push(p),
          })) {
            seen.push(item);
            controller.abort();
          }
        })(),
        { name: 'AbortError' },
      );
      assert.equal(seen.length, 1);
      // The worker is free again: the whole file reads afterwards with the same parser.
      const all: BulkItem[] = [];
      for await (const item of parser.parseFile(bulkPath, { onProgress: (p) => progress.push(p) }))
        all.push(item);
      assert.equal(all.length, US.length);
      const last = progress.at(-1)!;
      assert.equal(last.bytesRead, last.totalBytes);
      assert.equal(last.totalBytes, readFileSync(bulkPath).length);
    } finally {
      await parser.dispose();
    }
  });

  it('2001–2004 documents (an ST.32 grant, an application starting at its DOCTYPE) in a bulk file', async () => {
    const singles = [
      join(DATA, 'uspto-2001/US06336130.xml'),
      join(DATA, 'uspto-2001/US20010000044A1.xml'),
      join(DATA, 'uspto/US08930553.xml'),
    ];
    const path = join(folder, 'pg-mixed.xml');
    writeFileSync(path, Buffer.concat(singles.map((f) => readFileSync(f))));
    const text = readFileSync(path, 'utf8');
    const result = await runCli(['parse', path, '--jsonl']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const [i, file] of singles.entries()) {
      const single = await runCli(['parse', file, '--json']);
      assert.equal(single.code, 0, single.stderr);
      const expected = JSON.parse(single.stdout) as JsonDocument;
      const actual = JSON.parse(lines[i]!) as JsonDocument;
      assert.deepEqual(withoutRanges(actual), withoutRanges(expected), file);
      assertSameTextAt(actual, text, expected, readFileSync(file, 'utf8'));
    }
  });

  it('a multi-record Green Book file: each record as parse --json prints the single record', async () => {
    const singles = ['US03932709.greenbook', 'US03937375.greenbook'].map((f) =>
      join(DATA, 'uspto-greenbook', f),
    );
    const header = 'HHHHHT APS1 ISSUE 760113\n';
    const path = join(folder, 'pftaps19760113_wk02.txt');
    writeFileSync(path, header + singles.map((f) => readFileSync(f, 'latin1')).join(''), 'latin1');
    const text = readFileSync(path, 'latin1');
    const result = await runCli(['parse', path, '--jsonl']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const [i, file] of singles.entries()) {
      const single = await runCli(['parse', file, '--json']);
      assert.equal(single.code, 0, single.stderr);
      const expected = JSON.parse(single.stdout) as JsonDocument;
      const actual = JSON.parse(lines[i]!) as JsonDocument;
      assert.match(actual.publicationNumber ?? '', /^US0?39\d{5}A?$/);
      assert.deepEqual(withoutRanges(actual), withoutRanges(expected));
      assertSameTextAt(actual, text, expected, readFileSync(file, 'latin1'));
    }
  });

  it('a bulk stream has a worker of its own: single documents parse while it is paused', async () => {
    const parser = new DocumentParser();
    try {
      const stream = parser.parseFile(bulkPath)[Symbol.asyncIterator]();
      const first = await stream.next();
      assert.ok(!first.done && 'document' in first.value);
      // The stream waits for its consumer; the claim parsing of an editor does not wait for the stream.
      const single = await parser.parseText(readFileSync(US[2]!, 'utf8'), US[2]!, 'xml');
      assert.equal(single.publicationNumber, 'US08930553B2');
      let rest = 0;
      for (let next = await stream.next(); !next.done; next = await stream.next()) rest++;
      assert.equal(rest, US.length - 1);
    } finally {
      await parser.dispose();
    }
  });

  it('a document that overruns the deadline is reported and a new worker reads on after it', async () => {
    // The test double hangs on document 3 of a file named "…hang…" (test/support/bulk-hang-worker.ts).
    const parser = new DocumentParser(join(__dirname, '../../support/bulk-hang-worker.ts'), {
      deadlineMs: 1500,
    });
    const path = join(folder, 'hang-weekly.xml');
    writeFileSync(path, readFileSync(bulkPath));
    try {
      const items = await collect(parser.parseFile(path));
      assert.equal(items.length, US.length);
      const stuck = items[2]!;
      assert.ok('error' in stuck, 'document 3 is an error item');
      assert.equal(stuck.error.problem, 'timeout');
      assert.equal(stuck.position.ordinal, 3);
      assert.match(
        stuck.error.message,
        /hang-weekly\.xml: document 3 \(line \d+\): took longer than the limit of 1\.5 s to read and was skipped/,
      );
      assert.deepEqual(
        documentsOf(items).map((d) => d.publicationNumber),
        ['US07272630B2', 'US08926509B2', 'US20050004437A1', 'US20050004974A1'],
      );
    } finally {
      await parser.dispose();
    }
  });

  it('a file that cannot be opened is one DocumentError naming it', async () => {
    await assert.rejects(collect(parseBulkFile(join(folder, 'missing.xml'))), {
      name: 'DocumentError',
      message: /missing\.xml: does not exist/,
    });
    const notZip = join(folder, 'broken.zip');
    writeFileSync(notZip, 'PK\x03\x04 truncated');
    await assert.rejects(collect(parseBulkFile(notZip)), {
      message: /broken\.zip: is not a readable zip archive/,
    });
  });
});

describe('splitting a bulk stream', () => {
  const bytes = new Uint8Array(
    Buffer.concat([
      Buffer.from('\uFEFF'),
      ...US.map((f) => readFileSync(f)),
      // 2001–2004 documents: the ST.32 grant has a declaration, the application starts at its DOCTYPE.
      readFileSync(join(DATA, 'uspto-2001/US06336130.xml')),
      readFileSync(join(DATA, 'uspto-2001/US20010000044A1.xml')),
      readFileSync(join(DATA, 'uspto-2001/US20010000044A1.xml')),
    ]),
  );

  function split(chunkSize: number): { ordinal: number; byteOffset: number; size: number; line: number }[] {
    const splitter = new DocumentSplitter('xml', 10 * 1024 * 1024);
    const pieces = [];
    for (let start = 0; start < bytes.length; start += chunkSize) {
      pieces.push(...splitter.push(bytes.subarray(start, start + chunkSize)));
    }
    pieces.push(...splitter.end());
    return pieces.map((p) => ({
      ordinal: p.ordinal,
      byteOffset: p.byteOffset,
      size: p.size,
      line: p.start.line,
    }));
  }

  it('finds every document whatever the chunk boundaries (markers split across chunks)', () => {
    const reference = split(256 * 1024);
    assert.equal(reference.length, US.length + 3);
    for (const chunkSize of [1, 3, 9, 10, 11, 4093])
      assert.deepEqual(split(chunkSize), reference, `chunks of ${chunkSize}`);
    // Each piece starts at a declaration or, for the application without one, at its DOCTYPE.
    const text = Buffer.from(bytes).toString('latin1');
    for (const piece of reference)
      assert.match(text.slice(piece.byteOffset, piece.byteOffset + 9), /^<\?xml |^<!DOCTYPE/);
    assert.equal(reference[0]!.byteOffset, 3, 'after the BOM');
    assert.equal(countDocuments(bytes), US.length + 3);
    assert.equal(countDocuments(readFileSync(US[0]!)), 1);
  });

  it('counts lines and UTF-16 units as an editor does', () => {
    const text = 'a\r\nb\rc\nd\u00e9\u{1F600}\u20ac\n';
    const counter = new TextCounter();
    const encoded = Buffer.from(text, 'utf8');
    for (const byte of encoded) counter.feed(Uint8Array.of(byte)); // byte by byte: a CR LF split too
    const lines = new LineIndex(text);
    assert.deepEqual(counter.point(), { ...lines.positionAt(text.length), offset: text.length });
  });

  it('splits a Green Book file at each PATN record and drops the file header', () => {
    const records = ['US03932709.greenbook', 'US03937375.greenbook'].map((f) =>
      readFileSync(join(DATA, 'uspto-greenbook', f)),
    );
    const file = Buffer.concat([Buffer.from('HHHHHT APS1 ISSUE 760113\n'), ...records]);
    const splitter = new DocumentSplitter('greenbook', 1024 * 1024);
    const pieces = [
      ...splitter.push(file.subarray(0, 1000)),
      ...splitter.push(file.subarray(1000)),
      ...splitter.end(),
    ];
    assert.equal(pieces.length, 2);
    assert.deepEqual(
      pieces.map((p) => Buffer.from(p.bytes!).toString('latin1')),
      records.map((r) => r.toString('latin1')),
    );
    assert.equal(pieces[1]!.start.line, 1 + records[0]!.toString('latin1').split('\n').length - 1);
  });
});
