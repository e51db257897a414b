/**
 * Reads a TensorFlow.js graph model (`model.json` + binary weight shards) and translates its TensorFlow
 * graph op by op into an ONNX graph (opset 17) written with our `GraphBuilder`.
 *
 * Conventions of the translation:
 * - Every TF integer tensor (int32 or int64) becomes int64 in ONNX. TF mixes the two freely, ONNX wants
 *   int64 for shapes and indices (Shape, NonZero, Reshape, ScatterND, GatherND): one integer type avoids
 *   every mismatch. int32 weights are widened when they are written.
 * - Constant inputs that ONNX takes as attributes (axes, permutations, slice bounds) must be constants in
 *   the TF graph; the converter reads their values and says which node broke that rule otherwise.
 * - Ranks are propagated where the ops make them obvious; the few translations that need a rank (the
 *   adjoint of BatchMatMul) fail with the node's name when it is unknown.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TensorType, attr, type Attribute, type GraphBuilder, type Tensor } from './onnx';

// ---------------------------------------------------------------------------------------------------------
// TF.js model format

export interface TfAttrValue {
  i?: string | number;
  f?: number;
  b?: boolean;
  /** Bytes: base64 in some converters' output, a list of byte values in others. */
  s?: string | number[];
  type?: number | string;
  list?: { i?: (string | number)[]; f?: number[]; s?: (string | number[])[]; type?: (number | string)[] };
  shape?: unknown;
  tensor?: TfTensorProto;
}

export interface TfTensorProto {
  dtype?: number | string;
  tensorShape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  floatVal?: number[];
  intVal?: number[];
  int64Val?: (string | number)[];
  boolVal?: boolean[];
}

export interface TfNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
}

interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface TfjsModelJson {
  modelTopology?: { node?: TfNodeDef[] };
  weightsManifest?: { paths: string[]; weights: TfWeightSpec[] }[];
}

export interface TfWeight {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TfjsGraph {
  /** Where the model was read from, for messages. */
  source: string;
  nodes: TfNodeDef[];
  weights: Map<string, TfWeight>;
}

/** Reads `model.json` and its weight shards. Errors name the file and what is wrong with it. */
export async function readTfjsGraphModel(modelJsonPath: string): Promise<TfjsGraph> {
  let json: TfjsModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as TfjsModelJson;
  } catch (error) {
    throw new Error(`${modelJsonPath}: cannot read the TF.js model: ${(error as Error).message}`);
  }
  const nodes = json.modelTopology?.node;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new Error(`${modelJsonPath}: not a TF.js graph model (no modelTopology.node list)`);
  }
  const weights = new Map<string, TfWeight>();
  for (const group of json.weightsManifest ?? []) {
    const shards = await Promise.all(
      group.paths.map(async (path) => {
        const file = join(dirname(modelJsonPath), path);
        try {
          return await readFile(file);
        } catch (error) {
          throw new Error(
            `${file}: cannot read the weight shard named in ${modelJsonPath}: ${(error as Error).message}`,
          );
        }
      }),
    );
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization !== undefined) {
        throw new Error(
          `${modelJsonPath}: weight '${spec.name}' is quantized; only unquantized weights are supported`,
        );
      }
      if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
        throw new Error(
          `${modelJsonPath}: weight '${spec.name}' has dtype ${spec.dtype}; supported: float32, int32`,
        );
      }
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const end = offset + count * 4;
      if (end > bytes.length) {
        throw new Error(
          `${modelJsonPath}: weight shards hold ${bytes.length} bytes, '${spec.name}' needs bytes up to ${end}`,
        );
      }
      // Copy: the shard buffer's offset need not be 4-byte aligned.
      const slice = new Uint8Array(bytes.subarray(offset, end));
      const data = spec.dtype === 'float32' ? new Float32Array(slice.buffer) : new Int32Array(slice.buffer);
      weights.set(spec.name, { dtype: spec.dtype, shape: spec.shape, data });
      offset = end;
    }
    if (offset !== bytes.length) {
      throw new Error(
        `${modelJsonPath}: weight shards hold ${bytes.length} bytes, the manifest describes ${offset}`,
      );
    }
  }
  return { source: modelJsonPath, nodes, weights };
}

// ---------------------------------------------------------------------------------------------------------
// Translation

export type ValueKind = 'float' | 'int' | 'bool';

export interface Value {
  /** ONNX tensor name. */
  name: string;
  kind: ValueKind;
  rank?: number;
  /** Integer constants: their values, so that ops taking attributes can read them. */
  constInts?: number[];
  /** For 1-D integer tensors (shapes): the number of elements when it is known. */
  length?: number;
}

/** What an override sees: the builder and the translated inputs of the node it replaces. */
export interface TranslationContext {
  readonly builder: GraphBuilder;
  /** The translated value of a TF tensor reference (`name`, `name:1`). */
  value(ref: string): Value;
}

export type NodeOverride = (ctx: TranslationContext, node: TfNodeDef) => Value[];

export interface TranslateOptions {
  builder: GraphBuilder;
  /** ONNX values standing for the TF graph's placeholders, by placeholder name. */
  inputs: Record<string, { name: string; kind: ValueKind; rank?: number }>;
  /** TF tensors wanted; only the nodes they depend on are translated. */
  outputs: readonly string[];
  /** Nodes whose translation the caller replaces (by TF node name). */
  overrides?: Record<string, NodeOverride>;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const TF_DTYPE: Record<string, ValueKind> = {
  '1': 'float',
  DT_FLOAT: 'float',
  '3': 'int',
  DT_INT32: 'int',
  '9': 'int',
  DT_INT64: 'int',
  '10': 'bool',
  DT_BOOL: 'bool',
};

const ONNX_TYPE: Record<ValueKind, TensorType> = {
  float: TensorType.Float,
  int: TensorType.Int64,
  bool: TensorType.Bool,
};

/** Splits a TF input reference into node name and output index; `^name` marks a control dependency. */
function parseRef(ref: string): { node: string; index: number; control: boolean } {
  if (ref.startsWith('^')) return { node: ref.slice(1), index: 0, control: true };
  const match = /^(.*):(\d+)$/.exec(ref);
  return match
    ? { node: match[1] as string, index: Number(match[2]), control: false }
    : { node: ref, index: 0, control: false };
}

function refKey(ref: string): string {
  const { node, index } = parseRef(ref);
  return index === 0 ? node : `${node}:${index}`;
}

/** Translates the part of the TF graph that `outputs` depend on; returns their ONNX values. */
export function translateTfjsGraph(graph: TfjsGraph, options: TranslateOptions): Value[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const values = new Map<string, Value>();
  const { builder } = options;

  const ctx: TranslationContext = {
    builder,
    value(ref) {
      const key = refKey(ref);
      const found = values.get(key);
      if (!found) throw new Error(`${graph.source}: tensor '${key}' used before it was translated`);
      return found;
    },
  };

  // Depth-first post-order over the dependencies of the outputs (iterative: graphs can be deep).
  const order: TfNodeDef[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const output of options.outputs) {
    const stack: { name: string; expanded: boolean }[] = [{ name: parseRef(output).node, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { name: string; expanded: boolean };
      if (state.get(top.name) === 'done') {
        stack.pop();
        continue;
      }
      const node = byName.get(top.name);
      if (!node) throw new Error(`${graph.source}: the graph has no node '${top.name}'`);
      if (top.expanded) {
        stack.pop();
        state.set(top.name, 'done');
        order.push(node);
        continue;
      }
      top.expanded = true;
      state.set(top.name, 'open');
      if (node.op === 'Placeholder' || options.overrides?.[node.name] === undefined) {
        for (const input of node.input ?? []) {
          const dep = parseRef(input);
          if (dep.control) continue;
          if (state.get(dep.node) === 'open')
            throw new Error(`${graph.source}: the graph has a cycle through '${dep.node}'`);
          if (state.get(dep.node) !== 'done') stack.push({ name: dep.node, expanded: false });
        }
      } else {
        // An override may read any of the node's inputs: translate them all first.
        for (const input of node.input ?? []) {
          const dep = parseRef(input);
          if (!dep.control && state.get(dep.node) !== 'done') stack.push({ name: dep.node, expanded: false });
        }
      }
    }
  }

  for (const node of order) {
    const override = options.overrides?.[node.name];
    let outputs: Value[];
    try {
      outputs = override ? override(ctx, node) : translateNode(graph, ctx, node, options);
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(
        message.startsWith(graph.source)
          ? message
          : `${graph.source}: node '${node.name}' (${node.op}): ${message}`,
      );
    }
    outputs.forEach((v, i) => values.set(i === 0 ? node.name : `${node.name}:${i}`, v));
  }
  return options.outputs.map((o) => ctx.value(o));
}

function attrInt(node: TfNodeDef, key: string, fallback?: number): number {
  const value = node.attr?.[key]?.i;
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`attribute '${key}' missing`);
  }
  return Number(value);
}

function attrBool(node: TfNodeDef, key: string): boolean {
  return node.attr?.[key]?.b === true;
}

function attrInts(node: TfNodeDef, key: string): number[] {
  return (node.attr?.[key]?.list?.i ?? []).map(Number);
}

function attrString(node: TfNodeDef, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  if (s === undefined) return undefined;
  return Array.isArray(s) ? String.fromCharCode(...s) : Buffer.from(s, 'base64').toString('latin1');
}

function attrKind(node: TfNodeDef, key: string): ValueKind {
  const type = node.attr?.[key]?.type;
  const kind = type === undefined ? undefined : TF_DTYPE[String(type)];
  if (!kind) throw new Error(`unsupported dtype ${String(type)} in attribute '${key}'`);
  return kind;
}

function constInts(v: Value, what: string): number[] {
  if (!v.constInts) throw new Error(`${what} must be a constant in the TF graph`);
  return v.constInts;
}

function maxRank(values: Value[]): number | undefined {
  let rank = 0;
  for (const v of values) {
    if (v.rank === undefined) return undefined;
    rank = Math.max(rank, v.rank);
  }
  return rank;
}

function translateNode(
  graph: TfjsGraph,
  ctx: TranslationContext,
  node: TfNodeDef,
  options: TranslateOptions,
): Value[] {
  const b = ctx.builder;
  const ins = (node.input ?? []).filter((r) => !r.startsWith('^')).map((r) => ctx.value(r));
  const x = (i: number): Value => {
    const v = ins[i];
    if (!v) throw new Error(`input ${i} missing`);
    return v;
  };
  const one = (
    opType: string,
    inputs: Value[],
    kind: ValueKind,
    rank: number | undefined,
    attrs: Record<string, Attribute> = {},
  ): Value[] => [
    {
      name: b.node1(
        opType,
        inputs.map((v) => v.name),
        attrs,
      ),
      kind,
      rank,
    },
  ];
  const int64 = (values: readonly number[] | readonly bigint[]): Value => ({
    name: b.constInt64(`${node.name}/const`, values),
    kind: 'int',
    rank: 1,
    constInts: values.map(Number),
    length: values.length,
  });
  const elementwise = (opType: string): Value[] => one(opType, ins, x(0).kind, maxRank(ins));
  const compare = (opType: string): Value[] => one(opType, ins, 'bool', maxRank(ins));
  const unary = (opType: string): Value[] => one(opType, [x(0)], x(0).kind, x(0).rank);

  switch (node.op) {
    case 'Placeholder': {
      const input = options.inputs[node.name];
      if (!input) throw new Error(`placeholder '${node.name}' has no ONNX input assigned`);
      return [input];
    }
    case 'Const':
      return [translateConst(graph, b, node)];
    case 'Identity':
      return [x(0)];

    case 'Add':
    case 'AddV2':
    case 'BiasAdd':
      if (node.op === 'BiasAdd' && (attrString(node, 'data_format') ?? 'NHWC') !== 'NHWC')
        throw new Error('only NHWC BiasAdd');
      return elementwise('Add');
    case 'Sub':
      return elementwise('Sub');
    case 'Mul':
      return elementwise('Mul');
    case 'RealDiv':
    case 'Div':
      return elementwise('Div');
    case 'Maximum':
      return elementwise('Max');
    case 'Minimum':
      return elementwise('Min');
    case 'Less':
      return compare('Less');
    case 'Greater':
      return compare('Greater');
    case 'Equal':
      return compare('Equal');
    case 'LogicalNot':
      return one('Not', [x(0)], 'bool', x(0).rank);
    case 'LogicalAnd':
      return compare('And');

    case 'Square':
      return one('Mul', [x(0), x(0)], x(0).kind, x(0).rank);
    case 'Rsqrt': {
      const sqrt = b.node1('Sqrt', [x(0).name]);
      return [{ name: b.node1('Reciprocal', [sqrt]), kind: 'float', rank: x(0).rank }];
    }
    case 'Sqrt':
    case 'Sin':
    case 'Cos':
    case 'Relu':
    case 'Tanh':
    case 'Sigmoid':
    case 'Exp':
    case 'Log':
    case 'Neg':
      return unary(node.op);
    case 'Softmax':
      return one('Softmax', [x(0)], 'float', x(0).rank, { axis: attr.int(-1) });

    case 'Cast': {
      const to = attrKind(node, 'DstT');
      return one('Cast', [x(0)], to, x(0).rank, { to: attr.int(ONNX_TYPE[to]) });
    }
    case 'Shape':
      return [{ name: b.node1('Shape', [x(0).name]), kind: 'int', rank: 1, length: x(0).rank }];
    case 'Reshape': {
      const shape = x(1);
      const rank = shape.constInts?.length ?? shape.length;
      return one('Reshape', [x(0), shape], x(0).kind, rank, { allowzero: attr.int(1) });
    }
    case 'ExpandDims': {
      const [axis] = constInts(x(1), 'the axis of ExpandDims');
      const inRank = x(0).rank;
      const rank = inRank === undefined ? undefined : inRank + 1;
      return one('Unsqueeze', [x(0), int64([axis as number])], x(0).kind, rank);
    }
    case 'Squeeze': {
      const dims = attrInts(node, 'squeeze_dims');
      if (dims.length === 0) return one('Squeeze', [x(0)], x(0).kind, undefined);
      const inRank = x(0).rank;
      const rank = inRank === undefined ? undefined : inRank - dims.length;
      return one('Squeeze', [x(0), int64(dims)], x(0).kind, rank);
    }
    case 'Pack': {
      const axis = attrInt(node, 'axis', 0);
      const axes = int64([axis]);
      const parts = ins.map((v) => b.node1('Unsqueeze', [v.name, axes.name]));
      const rank = maxRank(ins);
      const out: Value = { name: b.node1('Concat', parts, { axis: attr.int(axis) }), kind: x(0).kind };
      if (rank !== undefined) out.rank = rank + 1;
      if (rank === 0) out.length = ins.length;
      if (rank === 0 && ins.every((v) => v.constInts))
        out.constInts = ins.map((v) => (v.constInts as number[])[0] as number);
      return [out];
    }
    case 'ConcatV2': {
      const parts = ins.slice(0, -1);
      const [axis] = constInts(x(ins.length - 1), 'the axis of ConcatV2');
      const out: Value = {
        name: b.node1(
          'Concat',
          parts.map((v) => v.name),
          { axis: attr.int(axis as number) },
        ),
        kind: x(0).kind,
      };
      const rank = maxRank(parts);
      if (rank !== undefined) out.rank = rank;
      if (rank === 1 && parts.every((v) => v.length !== undefined))
        out.length = parts.reduce((n, v) => n + (v.length as number), 0);
      return [out];
    }
    case 'Transpose': {
      const perm = constInts(x(1), 'the permutation of Transpose');
      return one('Transpose', [x(0)], x(0).kind, perm.length, { perm: attr.ints(perm) });
    }

    case 'GatherV2': {
      if (attrInt(node, 'batch_dims', 0) !== 0) throw new Error('batch_dims other than 0');
      const [axis] = constInts(x(2), 'the axis of GatherV2');
      const [paramsRank, indicesRank] = [x(0).rank, x(1).rank];
      const rank =
        paramsRank === undefined || indicesRank === undefined ? undefined : paramsRank + indicesRank - 1;
      return one('Gather', [x(0), x(1)], x(0).kind, rank, { axis: attr.int(axis as number) });
    }
    case 'GatherNd':
      return one('GatherND', [x(0), x(1)], x(0).kind, undefined);
    case 'ScatterNd': {
      // TF adds the updates of repeated indices; ONNX ScatterND overwrites unless reduction='add'.
      const [indices, updates, shape] = [x(0), x(1), x(2)];
      const zeros = b.node1('ConstantOfShape', [shape.name], {
        value: attr.tensor(scalarTensor(updates.kind, 0)),
      });
      const out = b.node1('ScatterND', [zeros, indices.name, updates.name], {
        reduction: attr.string('add'),
      });
      return [{ name: out, kind: updates.kind, rank: shape.length }];
    }
    case 'SparseToDense': {
      // Dense tensor of the default value, then the sparse values written in (indices are [N, rank]).
      const [indices, shape, sparseValues, defaultValue] = [x(0), x(1), x(2), x(3)];
      if (indices.rank !== undefined && indices.rank !== 2) throw new Error('only 2-D indices ([N, rank])');
      const dense = b.node1('Expand', [defaultValue.name, shape.name]);
      const out = b.node1('ScatterND', [dense, indices.name, sparseValues.name]);
      return [{ name: out, kind: sparseValues.kind, rank: shape.length }];
    }
    case 'Where': {
      if (ins.length !== 1) throw new Error('only the one-argument Where (coordinates of true elements)');
      // TF returns [N, rank] coordinates; ONNX NonZero returns [rank, N].
      const nonZero = b.node1('NonZero', [x(0).name]);
      return [{ name: b.node1('Transpose', [nonZero], { perm: attr.ints([1, 0]) }), kind: 'int', rank: 2 }];
    }

    case 'Sum':
    case 'Mean':
    case 'Max':
    case 'Min':
    case 'Prod': {
      const axes = constInts(x(1), `the axes of ${node.op}`);
      const keep = attrBool(node, 'keep_dims');
      const inRank = x(0).rank;
      const rank = inRank === undefined ? undefined : keep ? inRank : inRank - axes.length;
      const keepdims = attr.int(keep ? 1 : 0);
      // Opset 17: ReduceSum takes its axes as an input, the others as an attribute.
      if (node.op === 'Sum') return one('ReduceSum', [x(0), int64(axes)], x(0).kind, rank, { keepdims });
      const op = { Mean: 'ReduceMean', Max: 'ReduceMax', Min: 'ReduceMin', Prod: 'ReduceProd' }[
        node.op
      ] as string;
      return one(op, [x(0)], x(0).kind, rank, { axes: attr.ints(axes), keepdims });
    }

    case 'MatMul': {
      const a = attrBool(node, 'transpose_a')
        ? b.node1('Transpose', [x(0).name], { perm: attr.ints([1, 0]) })
        : x(0).name;
      const c = attrBool(node, 'transpose_b')
        ? b.node1('Transpose', [x(1).name], { perm: attr.ints([1, 0]) })
        : x(1).name;
      return [{ name: b.node1('MatMul', [a, c]), kind: 'float', rank: 2 }];
    }
    case 'BatchMatMul':
    case 'BatchMatMulV2': {
      // Transpose + MatMul rather than Einsum: Einsum was ~2x slower in onnxruntime and failed on empty batches.
      const adjoint = (v: Value, flag: string): string => {
        if (!attrBool(node, flag)) return v.name;
        if (v.rank === undefined) throw new Error(`the rank of the ${flag} operand is unknown`);
        const perm = Array.from({ length: v.rank }, (_, i) => i);
        perm[v.rank - 1] = v.rank - 2;
        perm[v.rank - 2] = v.rank - 1;
        return b.node1('Transpose', [v.name], { perm: attr.ints(perm) });
      };
      return [
        {
          name: b.node1('MatMul', [adjoint(x(0), 'adj_x'), adjoint(x(1), 'adj_y')]),
          kind: 'float',
          rank: maxRank([x(0), x(1)]),
        },
      ];
    }
    case 'Conv2D':
      return [translatePointwiseConv2D(graph, b, node, x(0), x(1))];

    case 'SplitV': {
      const sizes = constInts(x(1), 'the sizes of SplitV');
      const [axis] = constInts(x(2), 'the axis of SplitV');
      if (sizes.includes(-1)) throw new Error('a size of -1 in SplitV');
      const outs = b.node('Split', [x(0).name, int64(sizes).name], sizes.length, {
        axis: attr.int(axis as number),
      });
      return outs.map((name) => ({ name, kind: x(0).kind, rank: x(0).rank }));
    }
    case 'StridedSlice':
      return [translateStridedSlice(b, node, x(0), x(1), x(2), x(3), int64)];
    case 'Slice': {
      // TF Slice(begin, size) with size -1 meaning "to the end".
      const begin = constInts(x(1), 'the begin of Slice');
      const size = constInts(x(2), 'the size of Slice');
      const ends = begin.map((s, i) =>
        (size[i] as number) < 0 ? INT64_MAX : BigInt(s + (size[i] as number)),
      );
      const axes = begin.map((_, i) => i);
      const out = b.node1('Slice', [x(0).name, int64(begin).name, int64(ends).name, int64(axes).name]);
      const value: Value = { name: out, kind: x(0).kind, rank: x(0).rank };
      if (x(0).rank === 1 && size.every((s) => s >= 0)) value.length = size[0] as number;
      else if (x(0).rank === 1 && x(0).length !== undefined)
        value.length = (x(0).length as number) - (begin[0] as number);
      return [value];
    }
    case 'Range':
      return one('Range', [x(0), x(1), x(2)], x(0).kind, 1);
  }
  throw new Error(`no translation for TF op '${node.op}'`);
}

function scalarTensor(kind: ValueKind, value: number): Tensor {
  if (kind === 'float') return { type: TensorType.Float, dims: [1], data: Float32Array.of(value) };
  if (kind === 'int') return { type: TensorType.Int64, dims: [1], data: BigInt64Array.of(BigInt(value)) };
  return { type: TensorType.Bool, dims: [1], data: Uint8Array.of(value ? 1 : 0) };
}

function translateConst(graph: TfjsGraph, b: GraphBuilder, node: TfNodeDef): Value {
  const weight = graph.weights.get(node.name);
  if (weight) {
    if (weight.dtype === 'float32') {
      return {
        name: b.initializer(node.name, {
          type: TensorType.Float,
          dims: weight.shape,
          data: weight.data as Float32Array,
        }),
        kind: 'float',
        rank: weight.shape.length,
      };
    }
    return intConst(b, node.name, weight.shape, Array.from(weight.data));
  }
  // Small constants may be stored inline in the node (TF broadcasts a single value to the whole shape).
  const tensor = node.attr?.value?.tensor;
  if (!tensor) throw new Error('constant without a weight or an inline value');
  const dims = (tensor.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
  const count = dims.reduce((a, c) => a * c, 1);
  const kind = TF_DTYPE[String(tensor.dtype)];
  const fill = <T>(list: T[] | undefined): T[] => {
    if (!list || list.length === 0) throw new Error('constant without values');
    return list.length === count
      ? list
      : Array.from({ length: count }, (_, i) => list[Math.min(i, list.length - 1)] as T);
  };
  if (kind === 'float') {
    const data = Float32Array.from(fill(tensor.floatVal));
    return {
      name: b.initializer(node.name, { type: TensorType.Float, dims, data }),
      kind,
      rank: dims.length,
    };
  }
  if (kind === 'int') {
    return intConst(
      b,
      node.name,
      dims,
      fill(tensor.intVal?.length ? tensor.intVal : tensor.int64Val).map(Number),
    );
  }
  if (kind === 'bool') {
    const data = Uint8Array.from(fill(tensor.boolVal), (v) => (v ? 1 : 0));
    return { name: b.initializer(node.name, { type: TensorType.Bool, dims, data }), kind, rank: dims.length };
  }
  throw new Error(`unsupported constant dtype ${String(tensor.dtype)}`);
}

/**
 * An integer constant. Most serve as axes, permutations or slice bounds that become attributes, so its
 * initializer is written only when a node reads the tensor itself (no unused initializers in the file).
 */
function intConst(b: GraphBuilder, name: string, dims: readonly number[], ints: number[]): Value {
  let written: string | undefined;
  const value: Value = {
    get name(): string {
      written ??= b.initializer(name, {
        type: TensorType.Int64,
        dims,
        data: BigInt64Array.from(ints, (v) => BigInt(v)),
      });
      return written;
    },
    kind: 'int',
    rank: dims.length,
    constInts: ints,
  };
  if (dims.length === 1) value.length = dims[0] as number;
  return value;
}

/** A 1x1, stride-1 NHWC Conv2D is a MatMul over the channel axis with the kernel as a [Cin, Cout] matrix. */
function translatePointwiseConv2D(
  graph: TfjsGraph,
  b: GraphBuilder,
  node: TfNodeDef,
  input: Value,
  kernel: Value,
): Value {
  const kernelName = node.input?.[1];
  const weight = kernelName === undefined ? undefined : graph.weights.get(parseRef(kernelName).node);
  const format = attrString(node, 'data_format') ?? 'NHWC';
  const strides = attrInts(node, 'strides');
  const dilations = attrInts(node, 'dilations');
  const shape = weight?.shape ?? [];
  const pointwise =
    format === 'NHWC' &&
    shape.length === 4 &&
    shape[0] === 1 &&
    shape[1] === 1 &&
    strides.every((s) => s === 1) &&
    dilations.every((d) => d === 1) &&
    weight?.dtype === 'float32';
  if (!pointwise || !weight) {
    throw new Error(
      `only 1x1 stride-1 NHWC Conv2D with a constant kernel is supported (kernel [${shape.join(', ')}], ${format})`,
    );
  }
  // Reshape the kernel in the graph rather than storing a second copy; onnxruntime folds it on load.
  const matrixShape = b.constInt64(`${node.name}/kernel_shape`, [shape[2] as number, shape[3] as number]);
  const matrix = b.node1('Reshape', [kernel.name, matrixShape]);
  return { name: b.node1('MatMul', [input.name, matrix]), kind: 'float', rank: input.rank };
}

/** TF StridedSlice with constant begin/end/strides and the begin/end/shrink masks (no ellipsis, no new axes). */
function translateStridedSlice(
  b: GraphBuilder,
  node: TfNodeDef,
  input: Value,
  beginV: Value,
  endV: Value,
  stridesV: Value,
  int64: (values: readonly number[] | readonly bigint[]) => Value,
): Value {
  if (attrInt(node, 'ellipsis_mask', 0) !== 0 || attrInt(node, 'new_axis_mask', 0) !== 0) {
    throw new Error('ellipsis_mask and new_axis_mask are not supported');
  }
  const begin = constInts(beginV, 'the begin of StridedSlice');
  const end = constInts(endV, 'the end of StridedSlice');
  const strides = constInts(stridesV, 'the strides of StridedSlice');
  const beginMask = attrInt(node, 'begin_mask', 0);
  const endMask = attrInt(node, 'end_mask', 0);
  const shrinkMask = attrInt(node, 'shrink_axis_mask', 0);
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const shrink: number[] = [];
  begin.forEach((start, axis) => {
    const step = strides[axis] ?? 1;
    const bit = 1 << axis;
    if (shrinkMask & bit) {
      // One element; begin -1 means the last one, whose exclusive end is "to the end", not 0.
      starts.push(BigInt(start));
      ends.push(start === -1 ? INT64_MAX : BigInt(start + 1));
      shrink.push(axis);
      return;
    }
    starts.push(beginMask & bit ? (step > 0 ? 0n : INT64_MAX) : BigInt(start));
    ends.push(endMask & bit ? (step > 0 ? INT64_MAX : INT64_MIN) : BigInt(end[axis] as number));
  });
  const axes = begin.map((_, i) => i);
  const steps = begin.map((_, i) => (shrinkMask & (1 << i) ? 1 : (strides[i] ?? 1)));
  const sliced = b.node1('Slice', [
    input.name,
    int64(starts).name,
    int64(ends).name,
    int64(axes).name,
    int64(steps).name,
  ]);
  const rank = input.rank === undefined ? undefined : input.rank - shrink.length;
  if (shrink.length === 0) {
    const out: Value = { name: sliced, kind: input.kind, rank: input.rank };
    // A 1-D slice of a shape of known length: count what remains (shape arithmetic in Reshape targets).
    if (input.rank === 1 && input.length !== undefined) {
      const n = input.length;
      const s = beginMask & 1 ? 0 : clampIndex(begin[0] as number, n);
      const e = endMask & 1 ? n : clampIndex(end[0] as number, n);
      if ((strides[0] ?? 1) === 1) out.length = Math.max(0, e - s);
    }
    return out;
  }
  return { name: b.node1('Squeeze', [sliced, int64(shrink).name]), kind: input.kind, rank };
}

function clampIndex(index: number, length: number): number {
  const i = index < 0 ? index + length : index;
  return Math.min(Math.max(i, 0), length);
}
