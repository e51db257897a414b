/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
 * { name: { dtype, shape, data_offsets } }, then the raw little-endian data): how Hugging Face stores
 * checkpoints. Reading converts F32/F16/BF16 to Float32Array; writing emits F32.
 */
import { readFile } from 'node:fs/promises';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** The tensor's raw bytes inside the file. */
  bytes: Uint8Array;
}

export interface Safetensors {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Parses a whole safetensors file held in memory; `source` names it in errors. */
export function parseSafetensors(buffer: Uint8Array, source: string): Safetensors {
  const fail = (detail: string) => new Error(`${source}: not a valid safetensors file (${detail})`);
  if (buffer.length < 8) throw fail('shorter than its 8-byte header length');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > buffer.length - 8 || headerLength > 100_000_000)
    throw fail(`header length ${headerLength} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    throw fail(`header is not JSON: ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof entry.dtype === 'string' ? DTYPE_BYTES[entry.dtype] : undefined;
    if (size === undefined) throw fail(`tensor ${name} has unknown dtype ${JSON.stringify(entry.dtype)}`);
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw fail(`tensor ${name} has a bad shape`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      throw fail(`tensor ${name} has bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * size || dataStart + end > buffer.length || begin > end) {
      throw fail(
        `tensor ${name}: ${end - begin} bytes for shape [${shape.join(', ')}] ${entry.dtype as string}, or past the end of the file`,
      );
    }
    tensors.set(name, {
      dtype: entry.dtype as string,
      shape: shape as number[],
      bytes: buffer.subarray(dataStart + begin, dataStart + end),
    });
  }
  return { tensors, metadata };
}

export async function readSafetensorsFile(path: string): Promise<Safetensors> {
  return parseSafetensors(await readFile(path), path);
}

/** A floating-point tensor's values as float32 (copied, so the result is aligned and owned). */
export function toFloat32(entry: SafetensorsEntry, name = 'tensor'): Float32Array {
  const { bytes, dtype } = entry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / (DTYPE_BYTES[dtype] ?? 1);
  const out = dtype === 'F32' ? new Float32Array(0) : new Float32Array(count);
  switch (dtype) {
    case 'F32':
      // Copy into a fresh, aligned buffer (Buffer#slice would not copy); x86 and ARM are little-endian like the file.
      return new Float32Array(Uint8Array.prototype.slice.call(bytes).buffer);
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'BF16': {
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        scratch.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = scratch.getFloat32(0);
      }
      return out;
    }
    default:
      throw new Error(`${name}: dtype ${dtype} is not a floating-point type`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Serialises float32 tensors (in the given order) as a safetensors file. */
export function encodeSafetensors(
  tensors: Record<string, { shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8); // keep the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
