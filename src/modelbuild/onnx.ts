/**
 * A minimal writer for ONNX models (protobuf wire format, onnx.proto3 field numbers), enough to build
 * inference graphs from weights we already hold: the USE-Lite converter, the BERT exporter and the tiny
 * test models. Writing only what we need keeps the model build free of Python and of a 1 MB protobuf
 * runtime; onnxruntime itself validates every graph we write when it loads it.
 */

export const enum TensorType {
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
}

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Float64Array;

export interface Tensor {
  type: TensorType;
  dims: readonly number[];
  data: TensorData;
}

export type Attribute =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: Tensor };

/** Attribute constructors: `attr.int(1)`, `attr.ints([0, 2, 1])`, ... */
export const attr = {
  int: (value: number | bigint): Attribute => ({ kind: 'int', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
  ints: (value: readonly (number | bigint)[]): Attribute => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attribute => ({ kind: 'floats', value }),
  tensor: (value: Tensor): Attribute => ({ kind: 'tensor', value }),
};

/** A dimension is a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes: Record<string, Attribute>;
  domain: string;
}

interface ValueSpec {
  name: string;
  type: TensorType;
  shape: readonly Dim[];
}

/** Builds one ONNX graph. Tensor names are plain strings; `node()` invents unique output names. */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  input(name: string, type: TensorType, shape: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, type, shape });
    return name;
  }

  output(name: string, type: TensorType, shape: readonly Dim[]): void {
    this.outputs.push({ name, type, shape });
  }

  /** Adds a constant weight tensor and returns its name. */
  initializer(name: string, tensor: Tensor): string {
    const unique = this.unique(name);
    this.initializers.set(unique, tensor);
    return unique;
  }

  /** Shorthands for small constants. */
  constFloat(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(name, { type: TensorType.Float, dims, data: Float32Array.from(values) });
  }

  constInt64(
    name: string,
    values: readonly (number | bigint)[],
    dims: readonly number[] = [values.length],
  ): string {
    return this.initializer(name, {
      type: TensorType.Int64,
      dims,
      data: BigInt64Array.from(values, (v) => BigInt(v)),
    });
  }

  /**
   * Appends a node. `outputs` is a list of names or a count of outputs to name automatically.
   * Returns the output names (use `[0]` for single-output ops, or `node1`).
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attributes: Record<string, Attribute> = {},
    domain = '',
  ): string[] {
    const outputNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) =>
            this.unique(`${opType}_${this.counter}${outputs > 1 ? `_${i}` : ''}`),
          )
        : outputs.map((n) => (n === '' ? n : this.claim(n)));
    const name = this.unique(`${opType}_node_${this.counter++}`);
    this.nodes.push({ opType, inputs, outputs: outputNames, name, attributes, domain });
    return outputNames;
  }

  /** A single-output node; returns its output name. */
  node1(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    output?: string,
  ): string {
    const [out] = this.node(opType, inputs, output === undefined ? 1 : [output], attributes);
    return out as string;
  }

  /** Serialises the model. `opset` is the default-domain opset version. */
  toBytes(options: { opset: number; producer?: string; irVersion?: number; docString?: string }): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, options.irVersion ?? 8); // ir_version
    w.string(2, options.producer ?? 'patent-passages'); // producer_name
    if (options.docString) w.string(6, options.docString);
    w.message(7, (g) => this.writeGraph(g)); // graph
    w.message(8, (o) => {
      o.string(1, ''); // opset_import.domain
      o.int(2, options.opset);
    });
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const node of this.nodes) {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, node.name);
        n.string(4, node.opType);
        for (const [name, value] of Object.entries(node.attributes))
          n.message(5, (a) => writeAttribute(a, name, value));
        if (node.domain) n.string(7, node.domain);
      });
    }
    g.string(2, this.name);
    for (const [name, tensor] of this.initializers) g.message(5, (t) => writeTensor(t, name, tensor));
    for (const input of this.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of this.outputs) g.message(12, (v) => writeValueInfo(v, output));
  }

  private claim(name: string): string {
    if (this.usedNames.has(name))
      throw new Error(`ONNX graph ${this.name}: tensor name '${name}' used twice`);
    this.usedNames.add(name);
    return name;
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }
}

function writeAttribute(a: ProtoWriter, name: string, value: Attribute): void {
  a.string(1, name);
  // AttributeProto.AttributeType: FLOAT=1 INT=2 STRING=3 TENSOR=4 FLOATS=6 INTS=7
  switch (value.kind) {
    case 'float':
      a.float(2, value.value);
      a.int(20, 1);
      break;
    case 'int':
      a.int(3, value.value);
      a.int(20, 2);
      break;
    case 'string':
      a.bytes(4, new TextEncoder().encode(value.value));
      a.int(20, 3);
      break;
    case 'tensor':
      a.message(5, (t) => writeTensor(t, '', value.value));
      a.int(20, 4);
      break;
    case 'floats':
      a.packedFloats(7, value.value);
      a.int(20, 6);
      break;
    case 'ints':
      a.packedInts(8, value.value);
      a.int(20, 7);
      break;
  }
}

function writeTensor(t: ProtoWriter, name: string, tensor: Tensor): void {
  const expected = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== expected) {
    throw new Error(`tensor '${name}': ${tensor.data.length} values for dims [${tensor.dims.join(', ')}]`);
  }
  t.packedInts(1, tensor.dims);
  t.int(2, tensor.type);
  if (name) t.string(8, name);
  const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  t.bytes(9, bytes); // raw_data, little-endian as the platform (x86/ARM) stores it
}

function writeValueInfo(v: ProtoWriter, spec: ValueSpec): void {
  v.string(1, spec.name);
  v.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int(1, spec.type);
      tensorType.message(2, (shape) => {
        for (const dim of spec.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

/** Protobuf wire-format writer: a list of chunks, nested messages measured before they are written. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(BigInt(value));
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    this.push(value);
  }

  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(BigInt(v));
    this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.bytes(field, b);
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.tag(field, 2);
    this.varint(BigInt(inner.length));
    for (const chunk of inner.chunks) this.push(chunk);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  /** Negative values are written as 10-byte two's-complement varints, as protobuf's int64 requires. */
  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Uint8Array.from(bytes));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}
