import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSafetensors, parseSafetensors, toFloat32 } from '../../../src/modelbuild/safetensors';

test('safetensors: what we write reads back exactly, with metadata and 8-byte-aligned data', () => {
  const a = Float32Array.from([1.5, -2, 3.25, 0, 1e-8, -7]);
  const b = Float32Array.from([42]);
  const bytes = encodeSafetensors(
    { 'layer.weight': { shape: [2, 3], data: a }, bias: { shape: [1], data: b } },
    { format: 'pt' },
  );
  const parsed = parseSafetensors(bytes, 'memory');
  assert.deepEqual(parsed.metadata, { format: 'pt' });
  assert.deepEqual(parsed.tensors.get('layer.weight')?.shape, [2, 3]);
  assert.deepEqual(toFloat32(parsed.tensors.get('layer.weight')!), a);
  assert.deepEqual(toFloat32(parsed.tensors.get('bias')!), b);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0);
});

test('safetensors: F16 and BF16 tensors convert to float32', () => {
  // 1.0, -2.0, 0.5 and 65504 in IEEE half; 1.0, -2.0, 3.140625 in bfloat16.
  const half = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff]);
  const bf16 = new Uint16Array([0x3f80, 0xc000, 0x4049]);
  const header = JSON.stringify({
    h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
    b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
  });
  const headerBytes = new TextEncoder().encode(header);
  const file = new Uint8Array(8 + headerBytes.length + 14);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  file.set(new Uint8Array(half.buffer), 8 + headerBytes.length);
  file.set(new Uint8Array(bf16.buffer), 8 + headerBytes.length + 8);
  const parsed = parseSafetensors(file, 'memory');
  assert.deepEqual(Array.from(toFloat32(parsed.tensors.get('h')!)), [1, -2, 0.5, 65504]);
  assert.deepEqual(Array.from(toFloat32(parsed.tensors.get('b')!)), [1, -2, 3.140625]);
});

test('safetensors: corrupt files give errors naming the file and the problem', () => {
  assert.throws(
    () => parseSafetensors(new Uint8Array(3), 'x.safetensors'),
    /x.safetensors: not a valid safetensors file \(shorter than/,
  );
  const lying = new Uint8Array(16);
  new DataView(lying.buffer).setBigUint64(0, 1000n, true);
  assert.throws(() => parseSafetensors(lying, 'x.safetensors'), /header length 1000 exceeds the file/);
  const good = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
  assert.throws(
    () => parseSafetensors(good.subarray(0, good.length - 4), 'cut.safetensors'),
    /cut.safetensors: .*past the end of the file/,
  );
});
