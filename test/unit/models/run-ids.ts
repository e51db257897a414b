import * as ort from 'onnxruntime-node';
import { disableOnnxruntimeTelemetry } from '../../../src/core/embedding/telemetry';

// This process loads onnxruntime itself: its telemetry off first (see src/core/embedding/telemetry.ts).
disableOnnxruntimeTelemetry();

/**
 * Runs the converted USE-Lite graph on token-id rows as one right-padded batch (mask 1 on the tokens) and
 * returns its `sentence_embedding` output: the tests' and the bench's way past the engine, on exact ids.
 */
export async function runOnIdRows(
  session: ort.InferenceSession,
  rows: readonly (readonly number[])[],
): Promise<ort.Tensor | undefined> {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((row, i) =>
    row.forEach((id, j) => {
      ids[i * width + j] = BigInt(id);
      mask[i * width + j] = 1n;
    }),
  );
  const shape = [rows.length, width];
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, shape),
    attention_mask: new ort.Tensor('int64', mask, shape),
  });
  return out.sentence_embedding;
}
