/** Loss heads appended to a forward graph, so a model's own graph becomes something to differentiate. */
import type { Graph, Initializer, Node, ValueInfo } from '../ir.js';
import { attr } from '../attributes.js';

export interface MseLossOptions {
  /** The graph output (or value) holding the prediction. */
  readonly prediction: string;
  /** Name of the new graph input holding the target, shaped like the prediction. @default 'target' */
  readonly target?: string;
  /** Name of the loss value and output. @default 'loss' */
  readonly loss?: string;
  /**
   * Name of a new [batch] input of per-sample weights (min-SNR weighting): each sample's squared errors
   * are multiplied by its weight before the mean. Absent: plain MSE.
   */
  readonly sampleWeights?: string;
}

/**
 * Adds `loss = mean((prediction − target)²)` (torch's F.mse_loss with mean reduction) as a rank-0 output,
 * and `target` as a graph input typed like the prediction; with `sampleWeights`, the mean of
 * w[b]·(prediction − target)², as min-SNR training computes it (per-sample MSE times its weight, then
 * the batch mean).
 */
export function withMseLoss(graph: Graph, options: MseLossOptions): Graph {
  const target = options.target ?? 'target';
  const loss = options.loss ?? 'loss';
  const prediction =
    graph.outputs.find((o) => o.name === options.prediction) ??
    graph.valueInfo.find((v) => v.name === options.prediction) ??
    graph.inputs.find((v) => v.name === options.prediction);
  if (prediction === undefined)
    throw new Error(`${options.prediction} is not an output of graph ${graph.name}`);
  const targetInfo: ValueInfo = prediction.shape
    ? { name: target, dtype: prediction.dtype, shape: prediction.shape }
    : { name: target, dtype: prediction.dtype };
  const diff = `${loss}.diff`;
  const squared = `${loss}.squared`;
  const inputs: ValueInfo[] = [...graph.inputs, targetInfo];
  const nodes: Node[] = [
    ...graph.nodes,
    { op: 'Sub', name: diff, inputs: [options.prediction, target], outputs: [diff], attributes: {} },
    { op: 'Mul', name: squared, inputs: [diff, diff], outputs: [squared], attributes: {} },
  ];
  let perElement = squared;
  const initializers: Initializer[] = [...graph.initializers];
  if (options.sampleWeights !== undefined) {
    const w = options.sampleWeights;
    const rank = prediction.shape?.length;
    if (rank === undefined)
      throw new Error(`the rank of ${options.prediction} must be known to weight samples`);
    const batch = prediction.shape?.[0] ?? 'batch';
    inputs.push({ name: w, dtype: prediction.dtype, shape: [batch] });
    const shapeName = `${loss}.weight_shape`;
    initializers.push({
      name: shapeName,
      dtype: 'int64',
      dims: [rank],
      data: { kind: 'inline', array: BigInt64Array.from([-1n, ...new Array<bigint>(rank - 1).fill(1n)]) },
      role: 'constant',
    });
    const column = `${loss}.weight_column`;
    const weighted = `${loss}.weighted`;
    nodes.push(
      { op: 'Reshape', name: column, inputs: [w, shapeName], outputs: [column], attributes: {} },
      { op: 'Mul', name: weighted, inputs: [squared, column], outputs: [weighted], attributes: {} },
    );
    perElement = weighted;
  }
  nodes.push({
    op: 'ReduceMean',
    name: loss,
    inputs: [perElement],
    outputs: [loss],
    attributes: { keepdims: attr.int(0) },
  });
  return {
    ...graph,
    inputs,
    initializers,
    outputs: [{ name: loss, dtype: prediction.dtype, shape: [] }, ...graph.outputs],
    nodes,
  };
}
