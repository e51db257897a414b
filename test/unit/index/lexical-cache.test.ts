/**
 * The cache keeps the BM25 postings (schema 2), so a load does not analyse every paragraph again. These
 * tests load caches of real USPTO and EPO documents and compare every search with an index built afresh
 * from the same files: the stored postings must rank exactly as postings built from the texts.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { STORE_MAGIC } from '../../../src/core/index/store';
import { Analyzer } from '../../../src/core/search/analyzer';
import type { PassageCorpus } from '../../../src/core/search/passage-corpus';
import type { SearchMode, SearchQuery } from '../../../src/core/search/types';
import { HashingEmbedder, parse, RecordingLogger, SHARED_DATA, workspaceWith } from './helpers';

const DOCS = [
  'uspto/US08930553.xml',
  'uspto/US07272630B2.xml',
  'uspto/US20050004437A1.xml',
  'ep/application-v1-5-A1.xml',
  'ep/grant-v1-2-B2.xml',
];

/** The first claim of each document: real claims as queries. */
async function claimsOf(files: readonly string[]): Promise<string[]> {
  const claims: string[] = [];
  for (const file of files) {
    const document = await parse(await readFile(join(SHARED_DATA, file)), file);
    const claim = document.claims[0];
    if (claim) claims.push(claim.text);
  }
  assert.ok(claims.length >= 3, 'the shared documents have claims');
  return claims;
}

function openIndex(dir: string, logger = new RecordingLogger(), storePath?: string): PassageIndex {
  return new PassageIndex({
    source: new DirectorySource(dir),
    embedder: new HashingEmbedder(),
    parse,
    logger,
    ...(storePath ? { storePath } : {}),
  });
}

function corpusOf(index: PassageIndex): PassageCorpus {
  return (index as unknown as { corpus: PassageCorpus }).corpus;
}

const VARIANTS: { mode: SearchMode; feedback: boolean; documentEvidence: boolean }[] = [
  { mode: 'lexical', feedback: false, documentEvidence: false },
  { mode: 'lexical', feedback: true, documentEvidence: true },
  { mode: 'dense', feedback: false, documentEvidence: true },
  { mode: 'hybrid', feedback: false, documentEvidence: true },
  { mode: 'hybrid', feedback: true, documentEvidence: true },
];

/** Every variant's hits for every claim: identity, order and scores. */
async function searches(index: PassageIndex, claims: readonly string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const claim of claims) {
    for (const variant of VARIANTS) {
      const query: SearchQuery = { text: claim, topK: 20, ...variant };
      const response = await index.search(query);
      assert.ok(response.results.length > 0, `${variant.mode}: no hits`);
      out.push({
        ...variant,
        expansion: response.expansionTerms ?? [],
        hits: response.results.map((h) => [
          h.uri.slice(h.uri.lastIndexOf('/') + 1),
          h.paragraphId,
          h.score,
          h.lexicalScore,
          h.documentScore,
        ]),
      });
    }
  }
  return out;
}

/** Counts the analyser's calls while `run` runs (a load that uses stored postings makes none). */
async function countAnalyses<T>(run: () => Promise<T>): Promise<{ result: T; analyses: number }> {
  const original = Analyzer.prototype.terms;
  let analyses = 0;
  Analyzer.prototype.terms = function (this: Analyzer, text: string): string[] {
    analyses++;
    return original.call(this, text);
  };
  try {
    return { result: await run(), analyses };
  } finally {
    Analyzer.prototype.terms = original;
  }
}

/** A workspace of the shared documents, indexed and saved; plus a fresh in-memory index of the same. */
async function savedWorkspace() {
  const dir = await workspaceWith(DOCS);
  const storePath = join(dir, '.patent-passages', 'passages.ppidx');
  const writer = openIndex(dir, new RecordingLogger(), storePath);
  await writer.update('full');
  await writer.dispose();
  const fresh = openIndex(dir);
  await fresh.update('full');
  return { dir, storePath, fresh, claims: await claimsOf(DOCS) };
}

function header(bytes: Buffer): { schema: number; json: Record<string, unknown>; end: number } {
  assert.ok(bytes.subarray(0, 8).equals(STORE_MAGIC));
  const length = bytes.readUInt32LE(12);
  return {
    schema: bytes.readUInt32LE(8),
    json: JSON.parse(bytes.toString('utf8', 20, 20 + length)) as Record<string, unknown>,
    end: 20 + length,
  };
}

/** A cache file's preamble (magic, schema, header length and CRC) and JSON header, as the store writes them. */
function withHeader(schema: number, json: Record<string, unknown>): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(json), 'utf8');
  const preamble = Buffer.alloc(20);
  STORE_MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(schema, 8);
  preamble.writeUInt32LE(headerBytes.length, 12);
  preamble.writeUInt32LE(crc32(headerBytes), 16);
  return Buffer.concat([preamble, headerBytes]);
}

test('a loaded cache uses its stored postings and searches exactly as a freshly built index', async () => {
  const { dir, storePath, fresh, claims } = await savedWorkspace();
  const bytes = await readFile(storePath);
  const { schema, json } = header(bytes);
  assert.equal(schema, 2);
  assert.ok((json.lexicalBytes as number) > 0, 'the cache holds postings');

  const logger = new RecordingLogger();
  const loaded = openIndex(dir, logger, storePath);
  const { analyses } = await countAnalyses(() => loaded.load());
  assert.equal(analyses, 0, 'no paragraph analysed again while loading');
  assert.ok(loaded.status().paragraphs > 200, `paragraphs: ${loaded.status().paragraphs}`);
  assert.equal(loaded.status().paragraphs, fresh.status().paragraphs);
  assert.deepEqual(await searches(loaded, claims), await searches(fresh, claims));
  assert.equal(logger.count('warn', /./), 0, JSON.stringify(logger.lines));
  await loaded.dispose();
  await fresh.dispose();
});

test('damaged postings are caught by their checksum, reported once and rebuilt with the same results', async () => {
  const { dir, storePath, fresh, claims } = await savedWorkspace();
  const bytes = await readFile(storePath);
  const { json } = header(bytes);
  // A bit flipped in the middle of the postings section (it lies just before the end marker).
  const sectionStart = bytes.length - 8 - (json.lexicalBytes as number);
  const at = sectionStart + Math.floor((json.lexicalBytes as number) / 2);
  bytes[at] = (bytes[at] as number) ^ 0x10;
  await writeFile(storePath, bytes);

  const logger = new RecordingLogger();
  const loaded = openIndex(dir, logger, storePath);
  await loaded.load();
  assert.equal(loaded.status().paragraphs, fresh.status().paragraphs, 'documents and vectors kept');
  assert.deepEqual(await searches(loaded, claims), await searches(fresh, claims));
  await loaded.update('full');
  await loaded.search({ text: claims[0] as string, mode: 'lexical' });
  assert.equal(
    logger.count('warn', /word index is damaged \(checksum mismatch\)/),
    1,
    JSON.stringify(logger.lines),
  );
  assert.equal(logger.count('warn', /cache is damaged/), 0, 'the cache as a whole is not set aside');
  await loaded.dispose();

  // The update wrote the postings again: the next load uses them, quietly.
  const again = openIndex(dir, new RecordingLogger(), storePath);
  const { analyses } = await countAnalyses(() => again.load());
  assert.equal(analyses, 0);
  assert.deepEqual(await searches(again, claims), await searches(fresh, claims));
  await again.dispose();
  await fresh.dispose();
});

test('a schema 1 cache (no postings) loads, is searched as before, and is written again with postings', async () => {
  const { dir, storePath, fresh, claims } = await savedWorkspace();
  // Rewrite the file as the previous version wrote it: schema 1, no lexical fields, no postings section.
  const bytes = await readFile(storePath);
  const { json, end } = header(bytes);
  const lexicalBytes = json.lexicalBytes as number;
  delete json.lexicalIdentity;
  delete json.lexicalBytes;
  delete json.lexicalCrc;
  const body = bytes.subarray(end, bytes.length - 8 - lexicalBytes);
  await writeFile(storePath, Buffer.concat([withHeader(1, json), body, Buffer.from('PPIDXEND', 'latin1')]));

  const logger = new RecordingLogger();
  const loaded = openIndex(dir, logger, storePath);
  const { analyses } = await countAnalyses(() => loaded.load());
  assert.equal(analyses, fresh.status().paragraphs, 'postings rebuilt from every paragraph');
  assert.deepEqual(await searches(loaded, claims), await searches(fresh, claims));
  assert.equal(logger.count('warn', /./), 0, JSON.stringify(logger.lines));
  await loaded.update('full');
  await loaded.dispose();
  const rewritten = header(await readFile(storePath));
  assert.equal(rewritten.schema, 2);
  assert.ok((rewritten.json.lexicalBytes as number) > 0);
  await fresh.dispose();
});

test('removals and updates after a load keep document frequencies exact, also through another save', async () => {
  const { dir, storePath, claims } = await savedWorkspace();
  const loaded = openIndex(dir, new RecordingLogger(), storePath);
  await loaded.load();
  const before = loaded.status().paragraphs;
  // One document goes, another comes back changed (its slots are reused, out of document order).
  await rm(join(dir, 'uspto/US07272630B2.xml'));
  const ep = join(dir, 'ep/grant-v1-2-B2.xml');
  const text = await readFile(ep, 'utf8');
  await writeFile(ep, text.replace(/<p id="p0002"[^>]*>[\s\S]*?<\/p>/, ''));
  await loaded.update([
    { kind: 'deleted', uri: join(dir, 'uspto/US07272630B2.xml') },
    { kind: 'changed', uri: ep },
  ]);
  const fresh = openIndex(dir);
  await fresh.update('full');
  assert.equal(loaded.status().paragraphs, fresh.status().paragraphs);
  assert.ok(fresh.status().paragraphs < before - 1, `${before} → ${fresh.status().paragraphs} paragraphs`);

  const analyzer = new Analyzer();
  const terms = new Set<string>();
  for (const document of fresh.indexedDocuments())
    for (const p of document.paragraphs)
      for (const term of analyzer.terms(p.matchText ?? p.text)) terms.add(term);
  for (const claim of claims) for (const term of analyzer.terms(claim)) terms.add(term);
  const frequencies = (index: PassageIndex): Record<string, number> => {
    const lexical = corpusOf(index).lexical;
    return Object.fromEntries([...terms].map((term) => [term, lexical.documentShare(term) * lexical.size]));
  };
  const expected = frequencies(fresh);
  assert.deepEqual(frequencies(loaded), expected);
  // Lexical scores are exact whatever the slot order: compare each claim's hits as a set of scores.
  const scored = async (index: PassageIndex): Promise<string[]> => {
    const out: string[] = [];
    for (const claim of claims) {
      const { results } = await index.search({
        text: claim,
        mode: 'lexical',
        topK: 1000,
        feedback: false,
        documentEvidence: false,
      });
      out.push(...results.map((h) => `${h.uri}#${h.paragraphId}:${h.lexicalScore}`).sort());
    }
    return out;
  };
  const expectedScores = await scored(fresh);
  assert.deepEqual(await scored(loaded), expectedScores);

  // Saved after the removals (slots renumbered), loaded again without analysing.
  await loaded.dispose();
  const reloaded = openIndex(dir, new RecordingLogger(), storePath);
  const { analyses } = await countAnalyses(() => reloaded.load());
  assert.equal(analyses, 0);
  assert.deepEqual(frequencies(reloaded), expected);
  assert.deepEqual(await scored(reloaded), expectedScores);
  await reloaded.dispose();
  await fresh.dispose();
});

test('postings built with another analyzer or BM25 settings are rebuilt from the texts', async () => {
  const { dir, storePath, fresh, claims } = await savedWorkspace();
  const bytes = await readFile(storePath);
  const { schema, json, end } = header(bytes);
  assert.match(json.lexicalIdentity as string, /^analyzer-\d+;.*stop-words:[0-9a-f]+;bm25 k1=0\.9 b=0\.9$/);
  json.lexicalIdentity = (json.lexicalIdentity as string).replace('k1=0.9', 'k1=1.2');
  await writeFile(storePath, Buffer.concat([withHeader(schema, json), bytes.subarray(end)]));

  const logger = new RecordingLogger();
  const loaded = openIndex(dir, logger, storePath);
  const { analyses } = await countAnalyses(() => loaded.load());
  assert.equal(analyses, fresh.status().paragraphs, 'postings rebuilt from every paragraph');
  assert.equal(logger.count('info', /word index was built otherwise/), 1);
  assert.deepEqual(await searches(loaded, claims), await searches(fresh, claims));
  await loaded.dispose();
  await fresh.dispose();
});
