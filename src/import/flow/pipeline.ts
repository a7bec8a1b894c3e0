// The flow-matching split-schedule pipeline an importer of a Wan 2.2-style configuration writes: the graph of
// pipelines/tiny-flow.yaml (dataset → cache, high-noise and low-noise experts at one boundary → compose
// with Wan's hand-off, evaluate per band, report) with the trainer's settings carried into it. Importers
// (musubi-tuner, SimpleTuner's Wan 2.2 stages) fill in a FlowImport; this module knows nothing of either.
import type { JsonValue } from '../../pipeline/types.js';

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

const same = (a: JsonValue | undefined, b: JsonValue | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Settings both experts have alike go under `defaults:`; the rest stays on each node. */
export function splitShared(
  base: Record<string, JsonValue>,
  refiner: Record<string, JsonValue>,
): {
  shared: Record<string, JsonValue>;
  base: Record<string, JsonValue>;
  refiner: Record<string, JsonValue>;
} {
  const isShared = (key: string): boolean => key !== 'role' && same(base[key], refiner[key]);
  const pick = (w: Record<string, JsonValue>, keep: (key: string) => boolean) =>
    Object.fromEntries(Object.entries(w).filter(([k]) => keep(k)));
  return {
    shared: pick(base, isShared),
    base: pick(base, (k) => !isShared(k)),
    refiner: pick(refiner, (k) => !isShared(k)),
  };
}

/** The whole pipeline document for `input`. */
export function flowPipeline(input: FlowImport): Record<string, JsonValue> {
  const split = splitShared(input.base, input.refiner);
  const steps = split.shared.steps;
  const seed = split.shared.seed;
  const params: Record<string, JsonValue> = {
    model: '/models/sdxl-layout-onnx',
    data: input.data.path,
    resolution: input.data.resolution,
    boundary: input.boundary,
    shift: input.shift,
    ...(typeof steps === 'number' ? { train_steps: steps } : {}),
    ...(typeof seed === 'number' ? { seed } : {}),
    sample_steps: input.sampling.steps,
  };
  const shared: Record<string, JsonValue> = {
    model: '${{ params.model }}',
    cache: '${{ nodes.cache.outputs.cache }}',
    objective: 'flow_matching',
    boundary: '${{ params.boundary }}',
    shift: '${{ params.shift }}',
    ...input.density,
    ...split.shared,
    ...(typeof steps === 'number' ? { steps: '${{ params.train_steps }}' } : {}),
    ...(typeof seed === 'number' ? { seed: '${{ params.seed }}' } : {}),
    backend: 'builtin',
    device: 'cuda',
  };
  const flow = {
    objective: 'flow_matching',
    boundary: '${{ params.boundary }}',
    shift: '${{ params.shift }}',
  };
  const s = input.sampling;
  return {
    version: 1,
    name: input.name,
    params,
    defaults: { 'train.expert': { with: shared, resources: { gpu: input.gpus } } },
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
      cache: {
        step: 'embeds.cache',
        with: {
          model: '${{ params.model }}',
          manifest: '${{ nodes.data.outputs.manifest }}',
          device: 'cuda',
        },
        resources: { gpu: 1 },
      },
      base: { step: 'train.expert', with: { role: 'base', ...split.base } },
      refiner: { step: 'train.expert', with: { role: 'refiner', ...split.refiner } },
      compose: {
        step: 'compose.inference',
        with: {
          model: '${{ params.model }}',
          base: '${{ nodes.base.outputs.unet }}',
          refiner: '${{ nodes.refiner.outputs.unet }}',
          ...flow,
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
      },
      evaluate: {
        step: 'evaluate',
        with: {
          model: '${{ params.model }}',
          cache: '${{ nodes.cache.outputs.cache }}',
          base: '${{ nodes.base.outputs.unet }}',
          refiner: '${{ nodes.refiner.outputs.unet }}',
          ...flow,
          split: 'eval',
          ...(typeof seed === 'number' ? { seed: '${{ params.seed }}' } : {}),
          device: 'cuda',
        },
        resources: { gpu: 1 },
      },
      report: {
        step: 'report',
        with: {
          title: `${input.name}: high-noise and low-noise experts (flow matching), imported from ${input.source}`,
          experts: {
            base: {
              metrics: '${{ nodes.base.outputs.metrics }}',
              config: '${{ nodes.base.outputs.config }}',
            },
            refiner: {
              metrics: '${{ nodes.refiner.outputs.metrics }}',
              config: '${{ nodes.refiner.outputs.config }}',
            },
          },
          evaluation: '${{ nodes.evaluate.outputs.results }}',
          samples: '${{ nodes.compose.outputs.index }}',
          images: '${{ nodes.compose.outputs.images }}',
          cache: '${{ nodes.cache.outputs.cache }}',
          dataset: '${{ nodes.data.outputs.report }}',
        },
      },
    },
  };
}
