import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModelFolder } from '../../../src/core/embedding';
import { SentenceModel } from '../../../src/core/embedding/sentence-model';
import { exportBertCheckpoint } from '../../../src/modelbuild/bert';
import { BGE_SMALL_SHAPE, writeSyntheticCheckpoint } from '../../../src/modelbuild/synthetic';
import { devTexts, makeModelFolder, maxAbsDiff, patentWords, tempDir } from '../embedding/fixtures';
import { referenceSentenceVector } from '../embedding/reference-bert';

let root: Awaited<ReturnType<typeof tempDir>>;
before(async () => (root = await tempDir('pp-exporter-')));
after(() => root.remove());

/** Real claims, short enough that the float64 reference stays quick. */
function texts(): string[] {
  const claims = devTexts().claims.filter((c) => c.split(' ').length < 30);
  return [
    claims[0] as string,
    claims[1] as string,
    'A rechargeable battery comprising an electrode assembly.',
  ];
}

/** Exports with our exporter, runs it with onnxruntime, compares with the reference forward pass. */
async function checkExport(
  name: string,
  options: Parameters<typeof makeModelFolder>[1],
  tolerance: number,
): Promise<number> {
  const model = await makeModelFolder(join(root.path, name), options);
  const spec = await loadModelFolder(model.dir);
  const session = await SentenceModel.load(spec, { threads: 2 });
  try {
    const sample = texts();
    const vectors = await session.embed(sample, {
      longText: 'truncate',
      maxBatchTokens: 4096,
      maxBatchRows: 32,
    });
    let worst = 0;
    sample.forEach((text, i) => {
      const want = referenceSentenceVector(
        model.config,
        model.weights,
        model.encode(text),
        options.pooling ?? 'cls',
      );
      worst = Math.max(worst, maxAbsDiff(vectors[i] as Float32Array, want));
    });
    assert.ok(worst <= tolerance, `${name}: max abs difference ${worst} > ${tolerance}`);
    return worst;
  } finally {
    await session.release();
  }
}

describe('BERT checkpoint → ONNX exporter', () => {
  test('bge-small shape (384 hidden, 12 layers, 12 heads), CLS pooling: within 1e-4 of the reference', async (t) => {
    const worst = await checkExport(
      'bge-small',
      { shape: BGE_SMALL_SHAPE, words: patentWords(1500), pooling: 'cls', seed: 21 },
      1e-4,
    );
    t.diagnostic(`max abs difference ${worst.toExponential(2)}`);
  });

  test('reduced bge-base (768 hidden, 12 heads, 2 layers), bert.-prefixed names, mean pooling: within 1e-4', async (t) => {
    const worst = await checkExport(
      'bge-base-reduced',
      {
        shape: { hidden: 768, layers: 2, heads: 12, intermediate: 3072, maxPositions: 512 },
        words: patentWords(800),
        pooling: 'mean',
        seed: 5,
        prefixed: true,
      },
      1e-4,
    );
    t.diagnostic(`max abs difference ${worst.toExponential(2)}`);
  });

  test('clear errors: missing weight, wrong shape, not BERT', async () => {
    const dir = join(root.path, 'broken');
    await writeSyntheticCheckpoint(dir, {
      shape: { hidden: 16, layers: 1, heads: 2, intermediate: 32, maxPositions: 16 },
      words: ['a'],
    });
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;

    await writeFile(configPath, JSON.stringify({ ...config, num_hidden_layers: 2 }));
    await assert.rejects(
      exportBertCheckpoint(dir),
      /model.safetensors: weight encoder.layer.1.attention.self.query.weight is missing/,
    );

    await writeFile(configPath, JSON.stringify({ ...config, intermediate_size: 48 }));
    await assert.rejects(
      exportBertCheckpoint(dir),
      /weight encoder.layer.0.intermediate.dense.weight has shape \[32, 16\], expected \[48, 16\]/,
    );

    await writeFile(configPath, JSON.stringify({ ...config, model_type: 'roberta' }));
    await assert.rejects(exportBertCheckpoint(dir), /config.json: model_type "roberta" is not BERT/);

    await writeFile(join(dir, 'model.safetensors'), 'garbage');
    await writeFile(configPath, JSON.stringify(config));
    await assert.rejects(exportBertCheckpoint(dir), /model.safetensors: not a valid safetensors file/);
  });
});
