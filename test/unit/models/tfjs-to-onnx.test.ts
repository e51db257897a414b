/**
 * The generic TF.js → ONNX translation on small hand-made TF graphs, run in onnxruntime and compared with
 * values computed by hand; and the converter's errors on bad input.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, TensorType } from '../../../src/modelbuild/onnx';
import { readTfjsGraphModel, translateTfjsGraph, type TfjsGraph, type TfNodeDef } from '../../../src/modelbuild/tfjs-to-onnx';
import { disableOnnxruntimeTelemetry } from '../../../src/core/embedding/telemetry';

// This process loads onnxruntime itself: its telemetry off first (see src/core/embedding/telemetry.ts).
disableOnnxruntimeTelemetry();

const T_INT = { type: 3 };

function intConst(name: string, values: number[], dims: number[] = [values.length]): TfNodeDef {
  return {
    name,
    op: 'Const',
    attr: { dtype: T_INT, value: { tensor: { dtype: 3, tensorShape: { dim: dims.map((size) => ({ size: String(size) })) }, intVal: values } } },
  };
}

async function run(graph: TfjsGraph, outputs: string[], x: Float32Array, shape: number[]): Promise<ort.Tensor[]> {
  const b = new GraphBuilder('test');
  const input = b.input('x', TensorType.Float, ['n', 3]);
  const values = translateTfjsGraph(graph, { builder: b, inputs: { x: { name: input, kind: 'float', rank: 2 } }, outputs });
  values.forEach((v, i) => {
    b.node1('Identity', [v.name], {}, `out${i}`);
    b.output(`out${i}`, v.kind === 'float' ? TensorType.Float : TensorType.Int64, ['d0', 'd1'].slice(0, v.rank ?? 2));
  });
  const session = await ort.InferenceSession.create(b.toBytes({ opset: 17 }), { logSeverityLevel: 3 });
  const result = await session.run({ x: new ort.Tensor('float32', x, shape) });
  return values.map((_, i) => result[`out${i}`] as ort.Tensor);
}

test('translates MatMul, BiasAdd, Relu, StridedSlice (shrink, begin -1), Sum, Shape, ExpandDims, ConcatV2', async () => {
  const graph: TfjsGraph = {
    source: 'hand-made',
    weights: new Map([
      ['w', { dtype: 'float32', shape: [3, 2], data: Float32Array.of(1, 0, 0, 1, 1, -1) }],
      ['bias', { dtype: 'float32', shape: [2], data: Float32Array.of(0.5, -10) }],
    ]),
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'w', op: 'Const', attr: { dtype: { type: 1 } } },
      { name: 'bias', op: 'Const', attr: { dtype: { type: 1 } } },
      { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: { transpose_a: { b: false }, transpose_b: { b: false } } },
      { name: 'biased', op: 'BiasAdd', input: ['mm', 'bias'], attr: { data_format: { s: 'TkhXQw==' } } }, // base64 "NHWC"
      { name: 'relu', op: 'Relu', input: ['biased'] },
      intConst('b0', [0, -1]),
      intConst('e0', [0, 0]),
      intConst('s1', [1, 1]),
      // x[:, -1]: all rows, last column (begin -1 with shrink needs an end past the last element)
      {
        name: 'last_column',
        op: 'StridedSlice',
        input: ['x', 'b0', 'e0', 's1'],
        attr: { begin_mask: { i: '1' }, end_mask: { i: '1' }, shrink_axis_mask: { i: '2' } },
      },
      intConst('axis1', [1], []),
      { name: 'row_sum', op: 'Sum', input: ['x', 'axis1'], attr: { keep_dims: { b: false } } },
      { name: 'shape', op: 'Shape', input: ['x'] },
      intConst('axis0', [0], []),
      { name: 'column', op: 'ExpandDims', input: ['row_sum', 'axis1'] },
      { name: 'joined', op: 'ConcatV2', input: ['relu', 'column', 'axis1'], attr: { N: { i: '2' } } },
    ],
  };
  const x = Float32Array.of(1, 2, 3, -4, 5, 6);
  const [relu, last, shape, joined] = await run(graph, ['relu', 'last_column', 'shape', 'joined'], x, [2, 3]);
  // x @ w = [[1+3, 2-3], [-4+6, 5-6]] = [[4, -1], [2, -1]]; + bias = [[4.5, -11], [2.5, -11]]; relu.
  assert.deepEqual(Array.from(relu?.data as Float32Array), [4.5, 0, 2.5, 0]);
  assert.deepEqual(Array.from(last?.data as Float32Array), [3, 6]);
  assert.deepEqual(Array.from(shape?.data as BigInt64Array), [2n, 3n]);
  assert.deepEqual(joined?.dims, [2, 3]);
  assert.deepEqual(Array.from(joined?.data as Float32Array), [4.5, 0, 6, 2.5, 0, 7]);
});

test('ScatterNd adds repeated indices as TF does; Where gives [N, rank] coordinates', async () => {
  const graph: TfjsGraph = {
    source: 'hand-made',
    weights: new Map(),
    nodes: [
      { name: 'x', op: 'Placeholder' },
      intConst('zero', [0], []),
      { name: 'positive', op: 'Greater', input: ['x', 'zero_f'] },
      { name: 'zero_f', op: 'Cast', input: ['zero'], attr: { DstT: { type: 1 } } },
      { name: 'where', op: 'Where', input: ['positive'] },
      intConst('indices', [0, 0, 1], [3, 1]),
      intConst('dense_shape', [3]),
      { name: 'row0', op: 'GatherV2', input: ['x', 'zero', 'zero'], attr: { batch_dims: { i: '0' } } },
      { name: 'scattered', op: 'ScatterNd', input: ['indices', 'row0', 'dense_shape'] },
    ],
  };
  const [where, scattered] = await run(graph, ['where', 'scattered'], Float32Array.of(1, -2, 3, 0, 5, -6), [2, 3]);
  assert.deepEqual(where?.dims, [3, 2]);
  assert.deepEqual(Array.from(where?.data as BigInt64Array), [0n, 0n, 0n, 2n, 1n, 1n]);
  // updates = x[0] = [1, -2, 3] at indices [0, 0, 1] → [1 + -2, 3, 0]
  assert.deepEqual(Array.from(scattered?.data as Float32Array), [-1, 3, 0]);
});

test('an op it cannot translate is named with its node', () => {
  const graph: TfjsGraph = {
    source: 'odd/model.json',
    weights: new Map(),
    nodes: [
      { name: 'x', op: 'Placeholder' },
      { name: 'fft', op: 'FFT', input: ['x'] },
    ],
  };
  const b = new GraphBuilder('t');
  assert.throws(
    () => translateTfjsGraph(graph, { builder: b, inputs: { x: { name: b.input('x', TensorType.Float, [3]), kind: 'float' } }, outputs: ['fft'] }),
    /odd\/model\.json: node 'fft' \(FFT\): no translation for TF op 'FFT'/,
  );
});

test('reading a TF.js model: missing file, bad JSON and short weight shards are errors naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tfjs-'));
  try {
    await assert.rejects(readTfjsGraphModel(join(dir, 'model.json')), /model\.json: cannot read the TF\.js model/);
    await writeFile(join(dir, 'bad.json'), '{ not json');
    await assert.rejects(readTfjsGraphModel(join(dir, 'bad.json')), /bad\.json: cannot read the TF\.js model/);
    await writeFile(
      join(dir, 'short.json'),
      JSON.stringify({
        modelTopology: { node: [{ name: 'w', op: 'Const' }] },
        weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }],
      }),
    );
    await writeFile(join(dir, 'w.bin'), new Uint8Array(8));
    await assert.rejects(readTfjsGraphModel(join(dir, 'short.json')), /short\.json: weight shards hold 8 bytes, 'w' needs bytes up to 16/);
    await writeFile(join(dir, 'empty.json'), JSON.stringify({ format: 'layers-model' }));
    await assert.rejects(readTfjsGraphModel(join(dir, 'empty.json')), /empty\.json: not a TF\.js graph model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
