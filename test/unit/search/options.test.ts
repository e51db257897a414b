import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from '../../../src/core/documents';
import type { Embedder } from '../../../src/core/embedding/embedder';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { silentLogger } from '../../../src/core/logger';
import { claimQueryText } from '../../../src/core/search/claim-query';
import { HashingEmbedder, parse, REPO_ROOT, workspaceWith } from '../index/helpers';

/** The sample workspace: the applicant's draft beside real prior art. */
async function sampleWorkspace(): Promise<string> {
  const dir = await workspaceWith([
    'uspto/US08926509.xml',
    'uspto/US08930553.xml',
    'ep/application-v1-5-A1.xml',
  ]);
  await mkdir(join(dir, 'prior-art'));
  const { rename } = await import('node:fs/promises');
  await rename(join(dir, 'uspto'), join(dir, 'prior-art', 'uspto'));
  await rename(join(dir, 'ep'), join(dir, 'prior-art', 'ep'));
  await copyFile(
    join(REPO_ROOT, 'test/fixtures/workspace/draft-ecg-patch.md'),
    join(dir, 'draft-ecg-patch.md'),
  );
  return dir;
}

// Options and lexical search do not depend on what vectors mean, so the deterministic stand-in serves
// here; search with the real model is in real-model.test.ts.
async function openIndex(dir: string, embedder: Embedder = new HashingEmbedder()): Promise<PassageIndex> {
  const index = new PassageIndex({ source: new DirectorySource(dir), embedder, parse, logger: silentLogger });
  await index.update('full');
  return index;
}

async function draftClaim(dir: string, number: number, withParents = false): Promise<string> {
  const path = join(dir, 'draft-ecg-patch.md');
  const document = await parseDocument(await readFile(path), path);
  const text = claimQueryText(document, number, { withParents });
  assert.ok(text, `claim ${number} of the draft`);
  return text;
}

test('roles: the draft is the specification, published documents are prior art', async () => {
  const dir = await sampleWorkspace();
  const index = await openIndex(dir);
  const claim = await draftClaim(dir, 1);
  const all = await index.search({ text: claim, mode: 'lexical', topK: 50 });
  const draft = join(dir, 'draft-ecg-patch.md');
  assert.ok(all.results.some((h) => h.uri === draft && h.role === 'specification'));
  assert.ok(all.results.some((h) => h.uri !== draft && h.role === 'prior-art'));
  const priorArt = await index.search({ text: claim, mode: 'lexical', topK: 50, role: 'prior-art' });
  assert.ok(priorArt.results.length > 0 && priorArt.results.every((h) => h.role === 'prior-art'));
  const spec = await index.search({ text: claim, mode: 'lexical', topK: 50, role: 'specification' });
  assert.ok(spec.results.length > 0 && spec.results.every((h) => h.uri === draft));
  await index.dispose();
});

test('exclude the claim’s own document, restrict to a folder, top-k, minimum score', async () => {
  const dir = await sampleWorkspace();
  const index = await openIndex(dir);
  const claim = await draftClaim(dir, 1);
  const draft = join(dir, 'draft-ecg-patch.md');
  const excluded = await index.search({ text: claim, mode: 'lexical', topK: 20, excludeUri: draft });
  assert.equal(excluded.results.length, 20);
  assert.ok(excluded.results.every((h) => h.uri !== draft));
  // The closest prior art of the draft is US 8,926,509 (the sample workspace's README says so).
  assert.equal(excluded.results[0]?.documentLabel, 'US08926509B2');

  const uspto = join(dir, 'prior-art', 'uspto');
  const inFolder = await index.search({ text: claim, mode: 'lexical', topK: 100, folder: uspto });
  assert.ok(inFolder.results.length > 0 && inFolder.results.every((h) => h.uri.startsWith(uspto + '/')));

  const scores = excluded.results.map((h) => h.score);
  assert.deepEqual(
    [...scores].sort((a, b) => b - a),
    scores,
    'best first',
  );
  assert.ok(scores.every((s) => s >= 0 && s <= 1));
  const floor = scores[4] as number;
  const above = await index.search({
    text: claim,
    mode: 'lexical',
    topK: 20,
    excludeUri: draft,
    minScore: floor,
  });
  assert.ok(above.results.length >= 5 && above.results.every((h) => h.score >= floor));
  await index.dispose();
});

test('matched terms are words of the passage that share a stem with the claim', async () => {
  const dir = await sampleWorkspace();
  const index = await openIndex(dir);
  const response = await index.search({
    text: 'wireless patch with an adhesive layer and electrodes',
    mode: 'lexical',
    topK: 5,
  });
  for (const hit of response.results) {
    assert.ok(hit.matchedTerms.length > 0);
    for (const word of hit.matchedTerms) assert.ok(hit.text.includes(word), `${word} is in the passage`);
  }
  assert.ok(response.results.some((h) => h.matchedTerms.some((w) => /^electrodes?$/i.test(w))));
  await index.dispose();
});

test('dense and hybrid fall back to lexical, with a notice, when the model fails', async () => {
  const dir = await sampleWorkspace();
  const working = new HashingEmbedder();
  const index = await openIndex(dir, {
    modelId: working.modelId,
    dims: working.dims,
    // Simulates a model whose worker died at query time; indexing used the working embedder.
    embed: (texts, options) =>
      options?.kind === 'query' ? Promise.reject(new Error('worker exited')) : working.embed(texts, options),
    dispose: () => {},
  });
  const response = await index.search({ text: 'adhesive ECG patch', mode: 'hybrid', topK: 3 });
  assert.equal(response.mode, 'lexical');
  assert.match(response.notice ?? '', /worker exited/);
  assert.equal(response.results.length, 3);
  await index.dispose();
});

test('a dependent claim searched with its parents finds at least what the claim alone finds lexically', async () => {
  const dir = await sampleWorkspace();
  const index = await openIndex(dir);
  const document = await parseDocument(await readFile(join(dir, 'draft-ecg-patch.md')), 'draft.md');
  const dependent = document.claims.find((c) => c.dependsOn.length > 0);
  assert.ok(dependent);
  const alone = await draftClaim(dir, dependent.number);
  const chained = await draftClaim(dir, dependent.number, true);
  assert.ok(chained.length > alone.length);
  const response = await index.search({ text: chained, mode: 'lexical', topK: 5, role: 'prior-art' });
  assert.equal(response.results.length, 5);
  await index.dispose();
});
