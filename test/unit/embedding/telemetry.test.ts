// The onnxruntime telemetry switch (src/core/embedding/telemetry.ts): set while a model loads, restored
// after, so the extension host's environment is left as it was. That onnxruntime then stays silent is
// checked at the system-call level in test/unit/privacy.test.ts.
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEmbedder } from '../../../src/core/embedding';
import { TELEMETRY_SWITCH, withOnnxruntimeTelemetryOff } from '../../../src/core/embedding/telemetry';
import { makeModelFolder, patentWords, tempDir, TEST_WORKER, TINY_SHAPE } from './fixtures';

let root: Awaited<ReturnType<typeof tempDir>>;
let modelDir: string;

before(async () => {
  root = await tempDir('pp-telemetry-');
  modelDir = (await makeModelFolder(join(root.path, 'tiny'), { shape: TINY_SHAPE, words: patentWords(100) }))
    .dir;
});
after(() => root.remove());

/** Runs `body` with the switch variable unset (or set to `value`) and puts the original back after. */
async function withVariable(value: string | undefined, body: () => Promise<void>): Promise<void> {
  const original = process.env[TELEMETRY_SWITCH];
  if (value === undefined) delete process.env[TELEMETRY_SWITCH];
  else process.env[TELEMETRY_SWITCH] = value;
  try {
    await body();
  } finally {
    if (original === undefined) delete process.env[TELEMETRY_SWITCH];
    else process.env[TELEMETRY_SWITCH] = original;
  }
}

test('the switch is set while the load runs and removed after, also when the load fails', async () => {
  await withVariable(undefined, async () => {
    const seen = await withOnnxruntimeTelemetryOff(async () => process.env[TELEMETRY_SWITCH]);
    assert.equal(seen, '1');
    assert.equal(process.env[TELEMETRY_SWITCH], undefined);
    await assert.rejects(
      withOnnxruntimeTelemetryOff(async () => {
        throw new Error('model broken');
      }),
      /model broken/,
    );
    assert.equal(process.env[TELEMETRY_SWITCH], undefined);
  });
});

test('a value the user set is put back as it was, and overlapping loads share one setting', async () => {
  await withVariable('0', async () => {
    let release: () => void = () => {};
    const slow = withOnnxruntimeTelemetryOff(() => new Promise<void>((r) => (release = r)));
    const quick = await withOnnxruntimeTelemetryOff(async () => process.env[TELEMETRY_SWITCH]);
    assert.equal(quick, '1');
    assert.equal(process.env[TELEMETRY_SWITCH], '1', 'still set while the slow load runs');
    release();
    await slow;
    assert.equal(process.env[TELEMETRY_SWITCH], '0');
  });
});

test('the embedder loads (its worker got the switch, or it would refuse: next test) and leaves the environment as it was', async () => {
  await withVariable(undefined, async () => {
    const embedder = await createEmbedder({ modelDir, workerPath: TEST_WORKER, threads: 1 });
    try {
      assert.equal(process.env[TELEMETRY_SWITCH], undefined);
      const [vector] = await embedder.embed(['A battery comprising a cell.']);
      assert.equal(vector?.length, TINY_SHAPE.hidden);
    } finally {
      await embedder.dispose();
    }
  });
});

test('a worker started without the switch refuses to load a model', async () => {
  await withVariable(undefined, async () => {
    const { loadModelFolder } = await import('../../../src/core/embedding/model-folder');
    const spec = await loadModelFolder(modelDir);
    const worker = new Worker(TEST_WORKER);
    try {
      const reply = await new Promise<{ type: string; error?: { message: string } }>((resolve) => {
        worker.once('message', resolve);
        worker.postMessage({ type: 'load', id: 1, spec, threads: 1, lowPriority: false });
      });
      assert.equal(reply.type, 'error');
      assert.match(reply.error?.message ?? '', /without onnxruntime's telemetry switch/);
    } finally {
      await worker.terminate();
    }
  });
});
