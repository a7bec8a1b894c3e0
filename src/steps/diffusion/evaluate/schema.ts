// The `with` block of evaluate.
import type { JsonSchema } from '../../../contract/step.js';
import type { ScorerSpec } from '../../../workflow/scorers.js';
import { TRAIN_DEFAULTS } from '../../train/schema.js';
import type { FlowWith } from '../../../workflow/flow-objective.js';
import { flowSchemaProperties } from '../../../workflow/flow-objective.js';
import type { PredictionType } from '../../../diffusion/index.js';

export interface EvaluateWith extends Omit<
  FlowWith,
  'timestep_density' | 'logit_mean' | 'logit_std' | 'mode_scale'
> {
  readonly model: string;
  readonly cache: string;
  readonly base: string;
  readonly refiner: string;
  readonly strength?: number;
  readonly prediction_type?: PredictionType;
  readonly zero_snr?: boolean;
  readonly eval_timesteps?: number;
  readonly seed?: number;
  readonly split?: 'eval' | 'train' | 'all';
  readonly max_items?: number;
  readonly batch_size?: number;
  readonly images?: string;
  readonly scorer?: ScorerSpec;
  readonly clip?: string;
  readonly device?: 'cpu' | 'cuda';
}

/** What evaluate uses when the pipeline leaves a setting out (the schema's `default`s read these). */
export const EVALUATE_DEFAULTS = {
  /** The experts' strength: train.expert's default. */
  strength: TRAIN_DEFAULTS.strength,
  eval_timesteps: 28,
  seed: 0,
  split: 'eval',
  batch_size: 16,
  device: 'cpu',
} as const satisfies Partial<EvaluateWith>;

export const evaluateSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'cache', 'base', 'refiner'],
  properties: {
    model: {
      type: 'string',
      minLength: 1,
      description: 'Model folder: its scheduler config gives the noise schedule.',
    },
    cache: {
      type: 'string',
      minLength: 1,
      description: "embeds.cache's output: the held-out items' latents and embeddings.",
    },
    base: {
      type: 'string',
      minLength: 1,
      description: 'The base UNet (diffusers folder, folder with model.onnx, or .onnx).',
    },
    refiner: { type: 'string', minLength: 1, description: 'The refiner UNet.' },
    strength: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: EVALUATE_DEFAULTS.strength,
      description: "The experts' strength: bands are base [int(s·N), N−1] and refiner [0, int(s·N)−1].",
    },
    ...flowSchemaProperties(false),
    prediction_type: {
      enum: ['epsilon', 'v_prediction', 'sample'],
      description: "Default: the scheduler config's.",
    },
    zero_snr: { type: 'boolean', description: "Default: the scheduler config's rescale_betas_zero_snr." },
    eval_timesteps: {
      type: 'integer',
      minimum: 2,
      maximum: 1000,
      default: EVALUATE_DEFAULTS.eval_timesteps,
      description: 'Fixed timesteps, evenly spread over the whole schedule.',
    },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      default: EVALUATE_DEFAULTS.seed,
      description: 'Seed of the fixed noise.',
    },
    split: {
      enum: ['eval', 'train', 'all'],
      default: EVALUATE_DEFAULTS.split,
      description: 'Which cached items to evaluate on.',
    },
    max_items: {
      type: 'integer',
      minimum: 1,
      description: 'Evaluate on at most this many items (the first ones).',
    },
    batch_size: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: EVALUATE_DEFAULTS.batch_size,
      description: 'Items per UNet call.',
    },
    images: {
      type: 'string',
      minLength: 1,
      description: "compose.inference's index.json: its images are scored for prompt adherence.",
    },
    scorer: {
      description:
        'Prompt-adherence scorer: a name a plugin exports under `scorers`, or { module, export } naming a function (image, prompt) → score.',
      oneOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          additionalProperties: false,
          required: ['module'],
          properties: { module: { type: 'string', minLength: 1 }, export: { type: 'string', minLength: 1 } },
        },
      ],
    },
    clip: {
      type: 'string',
      minLength: 1,
      description:
        'A CLIP model exported to ONNX by Optimum (model.onnx, tokenizer files, preprocessor_config.json): the images get a CLIP score, max(100·cos, 0).',
    },
    device: { enum: ['cpu', 'cuda'], default: EVALUATE_DEFAULTS.device },
  },
};
