/**
 * The training loss appended to the UNet graph: Σ w_b · (out − target)², where the per-element weight
 * `loss_weight` [B, 1, 1, 1] is fed by the trainer as w_b = γ-weight_b / (number of elements). With all
 * γ-weights 1 this is torch's F.mse_loss (mean reduction); with min-SNR weights it is SimpleTuner's
 * per-sample weighted mean. A sum over a fed weight, rather than ReduceMean, keeps the weighting in data.
 */
import type { Graph, Model, Node, ValueInfo } from '../../onnx/ir.js';
import { attr } from '../../onnx/attributes.js';
import { UNET_OUTPUT } from '../../models/unet/index.js';

export const LOSS = 'loss';
export const TARGET = 'target';
export const LOSS_WEIGHT = 'loss_weight';

/**
 * The trainer feeds exactly one timestep per sample, so the UNet's broadcast of `timestep` to the batch
 * (an Expand to a shape computed at run time) is the identity. Declaring the input [B] and making that
 * broadcast an Identity lets shape inference keep the static batch, which the generated backward needs
 * (with a dynamic broadcast, a batch of 1 cannot be told apart from a broadcast axis).
 */
function pinTimestep(graph: Graph, batch: number): Graph {
  const readers = new Set(graph.nodes.filter((n) => n.inputs.includes('timestep')).flatMap((n) => n.outputs));
  return {
    ...graph,
    inputs: graph.inputs.map((v) => (v.name === 'timestep' ? { ...v, shape: [batch] } : v)),
    nodes: graph.nodes.map((n) =>
      n.op === 'Expand' && readers.has(n.inputs[0] ?? '')
        ? { ...n, op: 'Identity', inputs: [n.inputs[0] as string], attributes: {} }
        : n,
    ),
  };
}

/** The UNet (built with static batch, height and width) with the weighted MSE as its only output. */
export function withWeightedMse(model: Model): Model {
  const prediction = model.graph.outputs.find((o) => o.name === UNET_OUTPUT)?.shape;
  const sample = model.graph.inputs.find((v) => v.name === 'sample')?.shape;
  const dims = [sample?.[0], prediction?.[1], sample?.[2], sample?.[3]];
  if (!dims.every((d): d is number => typeof d === 'number')) {
    throw new Error('the UNet must be built with a static batch, height and width for training');
  }
  const shape = dims as [number, number, number, number];
  const graph = pinTimestep(model.graph, shape[0]);
  const node = (op: string, name: string, inputs: string[], attributes: Node['attributes'] = {}): Node => ({
    op,
    name,
    inputs,
    outputs: [name],
    attributes,
  });
  const target: ValueInfo = { name: TARGET, dtype: 'float32', shape };
  const weight: ValueInfo = { name: LOSS_WEIGHT, dtype: 'float32', shape: [shape[0], 1, 1, 1] };
  const withLoss: Graph = {
    ...graph,
    inputs: [...graph.inputs, target, weight],
    outputs: [{ name: LOSS, dtype: 'float32', shape: [] }],
    nodes: [
      ...graph.nodes,
      node('Sub', 'loss.diff', [UNET_OUTPUT, TARGET]),
      node('Mul', 'loss.squared', ['loss.diff', 'loss.diff']),
      node('Mul', 'loss.weighted', ['loss.squared', LOSS_WEIGHT]),
      node('ReduceSum', LOSS, ['loss.weighted'], { keepdims: attr.int(0) }),
    ],
  };
  return { ...model, graph: withLoss };
}
