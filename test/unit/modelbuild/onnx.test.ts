import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, TensorType, attr } from '../../../src/modelbuild/onnx';
import { disableOnnxruntimeTelemetry } from '../../../src/core/embedding/telemetry';

// This process loads onnxruntime itself: its telemetry off first (see src/core/embedding/telemetry.ts).
disableOnnxruntimeTelemetry();

test('GraphBuilder writes a model onnxruntime loads and runs: initializers, attributes, int64 and float ops', async () => {
  const g = new GraphBuilder('check');
  const x = g.input('x', TensorType.Float, ['batch', 3]);
  const ids = g.input('ids', TensorType.Int64, ['n']);
  const w = g.constFloat('w', [1, 2, 3, 4, 5, 6], [3, 2]);
  const y = g.node1('MatMul', [x, w]);
  g.node1('Softmax', [y], { axis: attr.int(-1) }, 'probs');
  g.node1('Gather', [g.constFloat('table', [10, 20, 30], [3]), ids], { axis: attr.int(0) }, 'picked');
  g.output('probs', TensorType.Float, ['batch', 2]);
  g.output('picked', TensorType.Float, ['n']);
  const session = await ort.InferenceSession.create(g.toBytes({ opset: 17 }));
  try {
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, -1]), [2, 3]),
      ids: new ort.Tensor('int64', BigInt64Array.from([2n, 0n]), [2]),
    });
    const probs = out.probs?.data as Float32Array;
    // Row 0: [1, 2] → softmax; row 1: [3-5, 4-6] = [-2, -2] → [0.5, 0.5].
    assert.ok(Math.abs((probs[0] as number) - 1 / (1 + Math.E)) < 1e-6);
    assert.ok(Math.abs((probs[2] as number) - 0.5) < 1e-6);
    assert.deepEqual(Array.from(out.picked?.data as Float32Array), [30, 10]);
  } finally {
    await session.release();
  }
});

test('GraphBuilder refuses a tensor name used twice and a tensor whose data does not fit its dims', () => {
  const g = new GraphBuilder('bad');
  g.input('x', TensorType.Float, [1]);
  assert.throws(() => g.node1('Identity', ['x'], {}, 'x'), /tensor name 'x' used twice/);
  const h = new GraphBuilder('bad2');
  h.initializer('w', { type: TensorType.Float, dims: [2, 2], data: new Float32Array(3) });
  assert.throws(() => h.toBytes({ opset: 17 }), /tensor 'w': 3 values for dims \[2, 2\]/);
});
