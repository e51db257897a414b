/**
 * The hybrid dense weight is a property of the model folder: a copy of the bundled model whose manifest
 * states `hybrid.denseWeight` makes the index mix with that weight. Real model inference, real patents.
 */
import assert from 'node:assert/strict';
import { cp, lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument } from '../../../src/core/documents';
import { createEmbedder, type OnnxEmbedder } from '../../../src/core/embedding/engine';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { silentLogger } from '../../../src/core/logger';
import { claimQueryText } from '../../../src/core/search/claim-query';
import type { PassageHit } from '../../../src/core/search/types';
import {
  DEFAULT_MODEL,
  parse,
  SHARED_DATA,
  temporaryFolder,
  WORKER_BOOTSTRAP,
  workspaceWith,
} from '../index/helpers';

const DOCUMENTS = ['uspto/US08926509.xml', 'uspto/US08930553.xml', 'ep/application-v1-5-A1.xml'];

let modelDir: string;
const embedders: OnnxEmbedder[] = [];
const indexes: PassageIndex[] = [];
let workspace: string;
let claims: string[];

/** A private copy of the bundled model: its manifest is rewritten, the bundled folder only read. */
async function copyBundledModel(): Promise<string> {
  const target = join(await temporaryFolder('pp-model-'), 'use-lite-en');
  // dereference: models/use-lite-en may be a symlink, and the copy must be real files to write to.
  await cp(DEFAULT_MODEL, target, { recursive: true, dereference: true });
  for (const path of [target, join(target, 'patent-passages.json')])
    assert.equal((await lstat(path)).isSymbolicLink(), false, `${path} is a copy, not a link`);
  return target;
}

async function setDenseWeight(folder: string, denseWeight: number): Promise<void> {
  const path = join(folder, 'patent-passages.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...manifest, hybrid: { denseWeight } }, null, 2)}\n`);
}

/** An index of the workspace over the model folder as its manifest says now. */
async function openIndex(): Promise<PassageIndex> {
  const embedder = await createEmbedder({
    modelDir,
    workerPath: WORKER_BOOTSTRAP,
    idleTimeoutMs: 0,
    threads: 1,
  });
  embedders.push(embedder);
  const index = new PassageIndex({
    source: new DirectorySource(workspace),
    embedder,
    parse,
    logger: silentLogger,
  });
  indexes.push(index);
  await index.update('full');
  assert.equal(index.status().pendingEmbeddings, 0);
  return index;
}

const ranked = (hits: readonly PassageHit[]) => hits.map((h) => `${h.uri}#${h.paragraphId} ${h.score}`);

before(async () => {
  modelDir = await copyBundledModel();
  workspace = await workspaceWith(DOCUMENTS);
  claims = [];
  for (const file of DOCUMENTS) {
    const document = await parseDocument(await readFile(join(SHARED_DATA, file)), file);
    for (const claim of document.claims.slice(0, 8)) {
      const text = claimQueryText(document, claim.number);
      if (text) claims.push(text);
    }
  }
  assert.ok(claims.length >= 20, `${claims.length} claims`);
});

after(async () => {
  for (const index of indexes) await index.dispose();
  for (const embedder of embedders) await embedder.dispose();
});

test('a model folder whose manifest says denseWeight 0 ranks hybrid exactly as lexical', async () => {
  await setDenseWeight(modelDir, 0);
  const index = await openIndex();
  assert.equal(index.fusion.denseWeight, 0);
  for (const text of claims) {
    const hybrid = await index.search({ text, mode: 'hybrid', topK: 10 });
    const lexical = await index.search({ text, mode: 'lexical', topK: 10 });
    assert.equal(hybrid.mode, 'hybrid');
    assert.equal(hybrid.results.length, 10);
    assert.deepEqual(ranked(hybrid.results), ranked(lexical.results), text.slice(0, 80));
    // Weighed 0, the dense side is not run at all: the claim is not embedded.
    assert.ok(hybrid.results.every((h) => h.denseScore === undefined));
    assert.equal(hybrid.timings.embed, undefined);
  }
});

test('the same folder with denseWeight 0.5 mixes by that weight, and the model keeps its id (and cache)', async () => {
  const withoutDense = embedders[0];
  assert.ok(withoutDense, 'the weight-0 test ran first');
  await setDenseWeight(modelDir, 0.5);
  const index = await openIndex();
  assert.equal(index.fusion.denseWeight, 0.5);
  // The weight decides no vector: the model id, and so the passage cache, stay the same.
  assert.equal(embedders[1]?.modelId, withoutDense.modelId);
  let reordered = 0;
  for (const text of claims) {
    // Document evidence off: the fusion alone is under test (docs/search.md gives the whole formula).
    const plain = { topK: 10, documentEvidence: false } as const;
    const hybrid = await index.search({ text, mode: 'hybrid', ...plain });
    const lexical = await index.search({ text, mode: 'lexical', ...plain });
    if (ranked(hybrid.results).join('\n') !== ranked(lexical.results).join('\n')) reordered++;
    // Every paragraph's lexical score (normalised BM25, as lexical mode shows it), to check the mix.
    const everyLexical = await index.search({ text, mode: 'lexical', ...plain, topK: 100_000 });
    const lexicalScore = new Map(everyLexical.results.map((h) => [`${h.uri}#${h.paragraphId}`, h.score]));
    for (const hit of hybrid.results) {
      const lexicalShare = lexicalScore.get(`${hit.uri}#${hit.paragraphId}`) ?? 0;
      const expected = 0.5 * Math.max(0, hit.denseScore ?? 0) + 0.5 * lexicalShare;
      assert.ok(Math.abs(hit.score - expected) < 1e-9, `${hit.score} vs ${expected}`);
    }
  }
  // Against the weight-0 run above, which equalled lexical on every claim.
  assert.ok(reordered >= claims.length / 2, `${reordered} of ${claims.length} rankings differ from lexical`);
});
