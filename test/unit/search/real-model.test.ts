/** Search with the real engine and the default model on the sample workspace: the draft beside real prior art. */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument } from '../../../src/core/documents';
import type { Embedder } from '../../../src/core/embedding/embedder';
import { PassageIndex } from '../../../src/core/index/passage-index';
import { DirectorySource } from '../../../src/core/index/source';
import { silentLogger } from '../../../src/core/logger';
import { claimQueryText } from '../../../src/core/search/claim-query';
import { parse, realEmbedder, REPO_ROOT, workspaceWith } from '../index/helpers';

let engine: Embedder;
let index: PassageIndex;
let dir: string;
let claim1: string;

before(async () => {
  engine = await realEmbedder();
  dir = await workspaceWith(['uspto/US08926509.xml', 'uspto/US08930553.xml', 'ep/application-v1-5-A1.xml']);
  await mkdir(join(dir, 'prior-art'));
  await rename(join(dir, 'uspto'), join(dir, 'prior-art', 'uspto'));
  await rename(join(dir, 'ep'), join(dir, 'prior-art', 'ep'));
  const draft = join(dir, 'draft-ecg-patch.md');
  await copyFile(join(REPO_ROOT, 'test/fixtures/workspace/draft-ecg-patch.md'), draft);
  claim1 = claimQueryText(await parseDocument(await readFile(draft), draft), 1) as string;
  index = new PassageIndex({
    source: new DirectorySource(dir),
    embedder: engine,
    parse,
    logger: silentLogger,
  });
  const result = await index.update('full');
  assert.equal(index.status().pendingEmbeddings, 0);
  assert.ok(result.paragraphsEmbedded > 300);
});

after(async () => {
  await index.dispose();
  await engine.dispose();
});

for (const mode of ['hybrid', 'dense', 'lexical'] as const) {
  test(`${mode}: claim 1 of the ECG-patch draft finds US 8,926,509 (the closest art) first`, async () => {
    const response = await index.search({
      text: claim1,
      mode,
      topK: 10,
      excludeUri: join(dir, 'draft-ecg-patch.md'),
    });
    assert.equal(response.mode, mode);
    assert.equal(response.results.length, 10);
    assert.equal(response.results[0]?.documentLabel, 'US08926509B2');
    const scores = response.results.map((h) => h.score);
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );
    for (const hit of response.results) {
      assert.ok(hit.score > 0 && hit.score <= 1);
      // A model folder that gives the dense side no weight (the bundled one) is not run for hybrid.
      const dense = mode === 'dense' || (mode === 'hybrid' && index.fusion.denseWeight > 0);
      if (dense) assert.ok(hit.denseScore !== undefined && hit.denseScore > 0.2 && hit.denseScore <= 1.0001);
      else assert.equal(hit.denseScore, undefined);
      if (mode === 'hybrid') {
        // The shown hybrid score is exactly the documented mix, with the model folder's weight.
        const w = index.fusion.denseWeight;
        const lexicalShare = hit.score - w * Math.max(0, hit.denseScore ?? 0);
        assert.ok(lexicalShare >= -1e-9 && lexicalShare <= 1 - w + 1e-9);
      }
    }
    assert.ok(typeof response.timings.total === 'number');
  });
}

test('a paraphrase with no shared content words is still found densely', async () => {
  // Paragraph text from the EP document, reworded: the dense side must place it high.
  const response = await index.search({
    text: 'a screen in a car that folds up to open a storage compartment underneath it',
    mode: 'dense',
    topK: 5,
  });
  assert.ok(
    response.results.some((h) => h.documentLabel.startsWith('EP')),
    JSON.stringify(response.results.map((h) => h.documentLabel)),
  );
});

test('element-wise matching reports each element of claim 1 with its score', async () => {
  const response = await index.search({
    text: claim1,
    mode: 'hybrid',
    topK: 5,
    elements: true,
    role: 'prior-art',
  });
  const first = response.results[0];
  assert.ok(first?.elementMatches && first.elementMatches.length >= 2);
  for (const match of first.elementMatches) {
    assert.ok(claim1.includes(match.element.slice(0, 20)), match.element);
    assert.ok(match.score > 0 && match.score <= 1.0001);
  }
});
