/** Loss heads appended to a forward graph, so a model's own graph becomes something to differentiate. */
import type { Graph, ValueInfo } from '../ir.js';
import { attr } from '../attributes.js';

export interface MseLossOptions {
  /** The graph output (or value) holding the prediction. */
  readonly prediction: string;
  /** Name of the new graph input holding the target, shaped like the prediction. @default 'target' */
  readonly target?: string;
  /** Name of the loss value and output. @default 'loss' */
  readonly loss?: string;
}

/**
 * Adds `loss = mean((prediction − target)²)` (torch's F.mse_loss with mean reduction) as a rank-0 output,
 * and `target` as a graph input typed like the prediction.
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
  return {
    ...graph,
    inputs: [...graph.inputs, targetInfo],
    outputs: [{ name: loss, dtype: prediction.dtype, shape: [] }, ...graph.outputs],
    nodes: [
      ...graph.nodes,
      { op: 'Sub', name: diff, inputs: [options.prediction, target], outputs: [diff], attributes: {} },
      { op: 'Mul', name: squared, inputs: [diff, diff], outputs: [squared], attributes: {} },
      {
        op: 'ReduceMean',
        name: loss,
        inputs: [squared],
        outputs: [loss],
        attributes: { keepdims: attr.int(0) },
      },
    ],
  };
}
