// The flow-matching split-schedule pipeline an importer of a Wan 2.2-style configuration writes: the graph of
// pipelines/tiny-flow.yaml (dataset → cache, high-noise and low-noise experts at one boundary → compose
// with Wan's hand-off, evaluate per band, report) with the trainer's settings carried into it. Importers
// (musubi-tuner, SimpleTuner's Wan 2.2 stages) fill in a FlowImport; this module knows nothing of either.
import type { JsonValue } from '../../pipeline/types.js';
import { EXPERT_UNETS, cacheNode, evaluateNode, reportNode, splitShared } from '../pipeline-parts.js';
import type { Settings, SplitSettings } from '../pipeline-parts.js';

export interface FlowImport {
  readonly name: string;
  /** Where the settings came from, for the title. */
  readonly source: string;
  /** What each expert trains with, besides role and the shared flow keys (learning_rate, steps, …). */
  readonly base: Record<string, JsonValue>;
  readonly refiner: Record<string, JsonValue>;
  readonly boundary: number;
  readonly shift: number;
  /** train.expert's density keys (timestep_density, logit_mean, logit_std, mode_scale). */
  readonly density: Record<string, JsonValue>;
  readonly data: { readonly path: string; readonly resolution: number; readonly buckets?: boolean };
  readonly sampling: {
    readonly steps: number;
    readonly guidance: number | { readonly base: number; readonly refiner: number };
    readonly width: number;
    readonly height: number;
    readonly prompts: readonly string[];
    readonly negativePrompt?: string;
  };
  readonly gpus: number;
}

/** The whole pipeline document for `input`. */
export function flowPipeline(input: FlowImport): Settings {
  const split = splitShared(input.base, input.refiner);
  const seed = split.shared.seed;
  return {
    version: 1,
    name: input.name,
    params: params(input, split),
    defaults: { 'train.expert': { with: expertDefaults(input, split), resources: { gpu: input.gpus } } },
    nodes: {
      data: {
        step: 'dataset.images',
        with: {
          path: '${{ params.data }}',
          resolution: '${{ params.resolution }}',
          ...(input.data.buckets !== undefined ? { buckets: input.data.buckets } : {}),
          eval_fraction: 0.02,
        },
      },
      cache: cacheNode(),
      base: { step: 'train.expert', with: { role: 'base', ...split.base } },
      refiner: { step: 'train.expert', with: { role: 'refiner', ...split.refiner } },
      compose: composeNode(input.sampling),
      evaluate: evaluateNode(FLOW, typeof seed === 'number'),
      report: reportNode(
        `${input.name}: high-noise and low-noise experts (flow matching), imported from ${input.source}`,
      ),
    },
  };
}

/** compose.inference, evaluate and train.expert's flow keys, read from the params. */
const FLOW: Settings = {
  objective: 'flow_matching',
  boundary: '${{ params.boundary }}',
  shift: '${{ params.shift }}',
};

/** The pipeline's params: the model, data, boundary and shift, and the training length and seed when set. */
function params(input: FlowImport, split: SplitSettings): Settings {
  const steps = split.shared.steps;
  const seed = split.shared.seed;
  return {
    model: '/models/sdxl-layout-onnx',
    data: input.data.path,
    resolution: input.data.resolution,
    boundary: input.boundary,
    shift: input.shift,
    ...(typeof steps === 'number' ? { train_steps: steps } : {}),
    ...(typeof seed === 'number' ? { seed } : {}),
    sample_steps: input.sampling.steps,
  };
}

/** What both experts train with: the flow objective at the boundary, the density and their shared settings. */
function expertDefaults(input: FlowImport, split: SplitSettings): Settings {
  const steps = split.shared.steps;
  const seed = split.shared.seed;
  return {
    model: '${{ params.model }}',
    cache: '${{ nodes.cache.outputs.cache }}',
    ...FLOW,
    ...input.density,
    ...split.shared,
    ...(typeof steps === 'number' ? { steps: '${{ params.train_steps }}' } : {}),
    ...(typeof seed === 'number' ? { seed: '${{ params.seed }}' } : {}),
    backend: 'builtin',
    device: 'cuda',
  };
}

/** Samples with Wan's hand-off at the boundary, with the trainer's sampling settings. */
function composeNode(s: FlowImport['sampling']): Settings {
  return {
    step: 'compose.inference',
    with: {
      model: '${{ params.model }}',
      ...EXPERT_UNETS,
      ...FLOW,
      scheduler: 'unipc',
      steps: '${{ params.sample_steps }}',
      guidance_scale: typeof s.guidance === 'number' ? s.guidance : { ...s.guidance },
      prompts: [...s.prompts],
      ...(s.negativePrompt !== undefined ? { negative_prompt: s.negativePrompt } : {}),
      seeds: [0, 1],
      width: s.width,
      height: s.height,
      device: 'cuda',
    },
    resources: { gpu: 1 },
  };
}
