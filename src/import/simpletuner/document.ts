// The pipeline document `moe import simpletuner` writes, as pipelines/ssd1b.yaml is: params, the
// experts' shared train.expert settings under `defaults:`, and the nodes dataset → cache, base and refiner
// → compose at the split, evaluate, report.
import { EXPERT_UNETS, cacheNode, evaluateNode, reportNode } from '../pipeline-parts.js';
import type { Settings, SplitSettings } from '../pipeline-parts.js';
import { VALIDATION_GUIDANCE_DEFAULT } from './defaults.js';

export interface DocumentInput {
  readonly name: string;
  /** What SimpleTuner trains (pretrained_model_name_or_path). */
  readonly pretrained: string;
  readonly data: { readonly path: string; readonly resolution: number | undefined };
  readonly split: SplitSettings;
  /** GPUs of each expert's node. */
  readonly gpus: number;
}

export function pipelineDocument(d: DocumentInput): Settings {
  const shared = d.split.shared;
  const strength = typeof shared.strength === 'number' ? shared.strength : undefined;
  const validation = (shared.validation ?? {}) as Settings;
  const expert: Settings = {
    ...shared,
    model: '${{ params.model }}',
    pretrained_model: '${{ params.pretrained_model }}',
    images: '${{ nodes.data.outputs.manifest }}',
    resolution: '${{ params.resolution }}',
    ...(strength !== undefined ? { strength: '${{ params.strength }}' } : {}),
    steps: '${{ params.train_steps }}',
    seed: '${{ params.seed }}',
    backend: 'simpletuner',
    device: 'cuda',
  };
  const sampler: Settings = {
    ...(expert.prediction_type !== undefined ? { prediction_type: expert.prediction_type } : {}),
    ...(expert.zero_snr !== undefined ? { zero_snr: expert.zero_snr } : {}),
  };
  return {
    version: 1,
    name: d.name,
    params: params(d, strength, validation),
    defaults: {
      'train.expert': { with: expert, resources: { gpu: d.gpus }, retry: { limit: 2, backoff: '1m' } },
    },
    nodes: {
      ...dataNodes(),
      base: { step: 'train.expert', with: d.split.base },
      refiner: { step: 'train.expert', with: d.split.refiner },
      compose: composeNode(expert, validation, strength, sampler),
      evaluate: evaluateNode(
        {
          ...(strength !== undefined ? { strength: '${{ params.strength }}' } : { strength: 0.2 }),
          ...sampler,
        },
        true,
      ),
      report: reportNode(`${d.name}: base and refiner experts`, ['validation']),
    },
  };
}

/** The pipeline's params: the shared settings where the configs give them, moe's defaults otherwise. */
function params(d: DocumentInput, strength: number | undefined, validation: Settings): Settings {
  const shared = d.split.shared;
  const resolution = typeof shared.resolution === 'number' ? shared.resolution : (d.data.resolution ?? 1024);
  const zeroSnr = shared.zero_snr === true;
  return {
    model: '/models/ssd-1b',
    pretrained_model: d.pretrained,
    data: d.data.path,
    resolution,
    ...(strength !== undefined ? { strength } : {}),
    train_steps: (shared.steps as number | undefined) ?? 10000,
    seed: typeof shared.seed === 'number' ? shared.seed : 42,
    sample_steps: (validation.steps as number | undefined) ?? 40,
    guidance_scale: (validation.guidance_scale as number | undefined) ?? VALIDATION_GUIDANCE_DEFAULT,
    guidance_rescale: (validation.guidance_rescale as number | undefined) ?? (zeroSnr ? 0.7 : 0),
  };
}

function dataNodes(): Settings {
  return {
    data: {
      step: 'dataset.images',
      with: { path: '${{ params.data }}', resolution: '${{ params.resolution }}', eval_fraction: 0.02 },
    },
    cache: cacheNode(),
  };
}

/** Two-stage samples at the split (1 − strength), with the validation settings of the configs. */
function composeNode(
  expert: Settings,
  validation: Settings,
  strength: number | undefined,
  sampler: Settings,
): Settings {
  return {
    step: 'compose.inference',
    with: {
      model: '${{ params.model }}',
      ...EXPERT_UNETS,
      split: strength !== undefined ? '${{ 1 - params.strength }}' : 0.8,
      scheduler: 'unipc',
      steps: '${{ params.sample_steps }}',
      ...sampler,
      ...(expert.timestep_spacing !== undefined ? { timestep_spacing: expert.timestep_spacing } : {}),
      guidance_scale: '${{ params.guidance_scale }}',
      guidance_rescale: '${{ params.guidance_rescale }}',
      prompts:
        validation.prompts !== undefined
          ? [validation.prompts]
          : ['a photograph of a lighthouse on a cliff at dusk'],
      seeds: [0, 1],
      width: '${{ params.resolution }}',
      height: '${{ params.resolution }}',
      device: 'cuda',
    },
    resources: { gpu: 1 },
  };
}
