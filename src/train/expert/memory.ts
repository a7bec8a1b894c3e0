/**
 * The memory of training one UNet with the built-in backend, estimated from its config without weights:
 * the graph the trainer runs (the UNet at a fixed batch and latent size, the weighted MSE, the generated
 * backward, weights fed as inputs) is built over zero-byte placeholder weights and its activations are
 * counted from the inferred shapes (src/onnx/activation-memory.ts). The state the trainer holds outside
 * onnxruntime follows from the parameter count (docs/train-expert.md).
 */
import { activationMemory, checkpointedMemory } from '../../onnx/activation-memory.js';
import type { ActivationMemory, CheckpointedMemory } from '../../onnx/activation-memory.js';
import { buildUNet } from '../../models/unet/index.js';
import type { BuildUNetOptions, UNetSpec } from '../../models/unet/index.js';
import { buildTrainingModel } from '../optim/index.js';
import { LOSS, withWeightedMse } from './loss.js';

export interface TrainingShape {
  readonly batch: number;
  /** Latent height and width. */
  readonly height: number;
  readonly width: number;
  /** Tokens of encoder_hidden_states (77 for CLIP). */
  readonly sequenceLength: number;
  readonly timeIds?: number;
}

export interface TrainingMemory {
  readonly parameters: number;
  /** Nodes of the training graph (forward and backward). */
  readonly nodes: number;
  readonly activations: ActivationMemory;
  /**
   * For comparison, the same tensors under diffusers' gradient checkpointing (each resnet and each
   * transformer block recomputed in the backward), with the attention maps kept (`checkpointed`) and
   * without them (`checkpointedFusedAttention`: a fused attention kernel such as torch's
   * scaled_dot_product_attention recomputes them).
   */
  readonly checkpointed: CheckpointedMemory;
  readonly checkpointedFusedAttention: CheckpointedMemory;
}

/** diffusers' checkpointed units: `….resnets.N` and `….transformer_blocks.N` (undefined outside them). */
export function diffusersCheckpointUnit(nodeName: string): string | undefined {
  return /^(.*?\.(?:resnets|transformer_blocks)\.\d+)\./.exec(nodeName)?.[1];
}

/** The UNet builder's fixed sizes for a training shape: every shape in the graph static. */
export function fixedSizes(shape: TrainingShape): Omit<BuildUNetOptions, 'weights'> {
  return {
    batch: shape.batch,
    height: shape.height,
    width: shape.width,
    sequenceLength: shape.sequenceLength,
    ...(shape.timeIds !== undefined ? { timeIds: shape.timeIds } : {}),
  };
}

/** Estimates the activations of the trainer's graph for `spec` at `shape`. Throws if it cannot be built. */
export function estimateTrainingMemory(spec: UNetSpec, shape: TrainingShape): TrainingMemory {
  let parameters = 0;
  const unet = buildUNet(spec, {
    ...fixedSizes(shape),
    weights: (_name, dims) => {
      parameters += dims.reduce((a, d) => a * d, 1);
      return { dtype: 'float32', dims, data: { kind: 'lazy', byteLength: 0, read: () => new Uint8Array(0) } };
    },
  });
  const forward = withWeightedMse(unet);
  const built = buildTrainingModel(forward, LOSS);
  if (!built.ok) throw new Error(built.error.message);
  const graph = built.value.model.graph;
  const forwardNodes = new Set(forward.graph.nodes.map((n) => n.name));
  return {
    parameters,
    nodes: graph.nodes.length,
    activations: activationMemory(graph, forwardNodes),
    checkpointed: checkpointedMemory(graph, forwardNodes, diffusersCheckpointUnit),
    checkpointedFusedAttention: checkpointedMemory(
      graph,
      forwardNodes,
      diffusersCheckpointUnit,
      new Set(['Softmax']),
    ),
  };
}
