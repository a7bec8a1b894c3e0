// The `with` block of compose.inference.
import type { JsonSchema } from '../../../contract/step.js';
import { TRAIN_DEFAULTS } from '../../train/schema.js';
import type { FlowWith } from '../../../workflow/flow-objective.js';
import { flowSchemaProperties } from '../../../workflow/flow-objective.js';
import type { PredictionType, TimestepSpacing } from '../../../diffusion/index.js';

export type PerStage<T> = T | { readonly base?: T; readonly refiner?: T };

export type ComposePrompt = string | { readonly base: string; readonly refiner?: string };

export interface ComposeWith extends Omit<
  FlowWith,
  'timestep_density' | 'logit_mean' | 'logit_std' | 'mode_scale' | 'strength'
> {
  readonly model: string;
  readonly base: string;
  readonly refiner: string;
  readonly split?: number;
  readonly scheduler?: 'ddpm' | 'ddim' | 'euler' | 'unipc' | 'dpmpp_2m' | 'flow_euler';
  readonly steps?: number;
  readonly prediction_type?: PredictionType;
  readonly zero_snr?: boolean;
  readonly timestep_spacing?: TimestepSpacing;
  readonly guidance_scale?: PerStage<number>;
  readonly guidance_rescale?: PerStage<number>;
  readonly prompts?: readonly ComposePrompt[];
  readonly prompts_file?: string;
  readonly negative_prompt?: string;
  readonly seeds?: readonly number[];
  readonly width?: number;
  readonly height?: number;
  readonly base_only?: boolean;
  readonly device?: 'cpu' | 'cuda';
}

/** What compose.inference uses when the pipeline leaves a setting out (the schema's `default`s read these). */
export const COMPOSE_DEFAULTS = {
  /** The hand-off where the experts trained with the default strength meet. */
  split: 1 - TRAIN_DEFAULTS.strength,
  scheduler: 'unipc',
  steps: 40,
  guidance_scale: 5,
  guidance_rescale: 0,
  negative_prompt: '',
  seeds: [0],
  width: 64,
  height: 64,
  base_only: true,
  device: 'cpu',
} as const satisfies Partial<ComposeWith>;

const perStage = (inner: JsonSchema, description: string): JsonSchema => ({
  description,
  oneOf: [
    inner,
    {
      type: 'object',
      additionalProperties: false,
      properties: { base: inner, refiner: inner },
    },
  ],
});

const unetPath = (role: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  description: `The ${role} UNet: a diffusers folder (train.expert's unet output), a folder with model.onnx, or an .onnx file.`,
});

export const composeSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'base', 'refiner'],
  properties: {
    model: {
      type: 'string',
      minLength: 1,
      description: 'Model folder: its text encoders, tokenizers, VAE decoder and scheduler config are used.',
    },
    base: unetPath('base (high-noise)'),
    refiner: unetPath('refiner (low-noise)'),
    split: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: COMPOSE_DEFAULTS.split,
      description:
        "Fraction of the schedule the base runs (diffusers' denoising_end); must equal 1 − strength.",
    },
    scheduler: {
      enum: ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m', 'flow_euler'],
      default: COMPOSE_DEFAULTS.scheduler,
      description:
        'The sampler. With objective flow_matching: flow_euler (the default there) or unipc, which then runs on flow sigmas with the shift.',
    },
    ...flowSchemaProperties(false),
    steps: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: COMPOSE_DEFAULTS.steps,
      description: 'Inference steps over the whole schedule.',
    },
    prediction_type: {
      enum: ['epsilon', 'v_prediction', 'sample'],
      description: "Default: the model folder's scheduler config.",
    },
    zero_snr: {
      type: 'boolean',
      description: "Rescale betas to zero terminal SNR. Default: the scheduler config's.",
    },
    timestep_spacing: {
      enum: ['leading', 'trailing', 'linspace'],
      description: "Default: the scheduler config's.",
    },
    guidance_scale: perStage(
      { type: 'number', minimum: 0 },
      `Classifier-free guidance scale (≤ 1: no guidance); a number or { base, refiner }. Default ${COMPOSE_DEFAULTS.guidance_scale}.`,
    ),
    guidance_rescale: perStage(
      { type: 'number', minimum: 0, maximum: 1 },
      `Guidance rescale φ (0.7 advised with zero-SNR); a number or { base, refiner }. Default ${COMPOSE_DEFAULTS.guidance_rescale}.`,
    ),
    prompts: {
      type: 'array',
      items: {
        oneOf: [
          { type: 'string' },
          {
            type: 'object',
            additionalProperties: false,
            required: ['base'],
            properties: { base: { type: 'string' }, refiner: { type: 'string' } },
          },
        ],
      },
      description: 'Prompts: a string for both stages, or { base, refiner } for a prompt per stage.',
    },
    prompts_file: {
      type: 'string',
      minLength: 1,
      description: "A JSON list of prompts (e.g. dataset.synthetic's prompts.json), added to `prompts`.",
    },
    negative_prompt: {
      type: 'string',
      default: COMPOSE_DEFAULTS.negative_prompt,
      description: 'Empty: all-zero embeddings (force_zeros_for_empty_prompt).',
    },
    seeds: {
      type: 'array',
      items: { type: 'integer', minimum: 0, maximum: 4294967295 },
      minItems: 1,
      default: [...COMPOSE_DEFAULTS.seeds],
    },
    width: { type: 'integer', minimum: 8, maximum: 8192, default: COMPOSE_DEFAULTS.width },
    height: { type: 'integer', minimum: 8, maximum: 8192, default: COMPOSE_DEFAULTS.height },
    base_only: {
      type: 'boolean',
      default: COMPOSE_DEFAULTS.base_only,
      description: 'Also sample with the base over the whole schedule, for comparison.',
    },
    device: { enum: ['cpu', 'cuda'], default: COMPOSE_DEFAULTS.device },
  },
};
