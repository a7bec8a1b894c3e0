// The `with` block of train.expert: its JSON Schema and the typed form the step reads.
import type { JsonSchema } from '../../contract/step.js';
import type { FlowWith } from '../../workflow/flow-objective.js';
import { flowSchemaProperties } from '../../workflow/flow-objective.js';
import type {
  BetaSchedule,
  ExpertRole,
  PredictionType,
  TimestepBias,
  TimestepSpacing,
} from '../../diffusion/index.js';
import { TIMESTEP_BIAS_DEFAULTS } from '../../diffusion/index.js';
import type { ScheduleKind } from '../../train/optim/schedule.js';

export interface TrainExpertWith extends FlowWith {
  readonly role: ExpertRole;
  readonly model: string;
  readonly cache: string;
  readonly strength?: number;
  readonly prediction_type?: PredictionType;
  readonly zero_snr?: boolean;
  readonly timestep_spacing?: TimestepSpacing;
  readonly noise_schedule?: {
    readonly beta_schedule?: BetaSchedule;
    readonly beta_start?: number;
    readonly beta_end?: number;
    readonly num_train_timesteps?: number;
  };
  readonly learning_rate?: number;
  readonly lr_scheduler?: ScheduleKind;
  readonly lr_warmup_steps?: number;
  readonly weight_decay?: number;
  readonly batch_size?: number;
  readonly gradient_accumulation?: number;
  readonly gradient_checkpointing?: boolean;
  readonly max_grad_norm?: number;
  readonly grad_clip_method?: 'norm' | 'value';
  readonly mixed_precision?: MixedPrecision;
  readonly snr_gamma?: number;
  readonly timestep_bias_strategy?: 'none' | 'earlier' | 'later' | 'range';
  readonly timestep_bias_multiplier?: number;
  readonly timestep_bias_portion?: number;
  readonly timestep_bias_begin?: number;
  readonly timestep_bias_end?: number;
  readonly ema_decay?: number;
  readonly caption_dropout_probability?: number;
  readonly steps?: number;
  readonly checkpoint_every?: number;
  readonly seed?: number;
  readonly backend?: 'builtin' | 'simpletuner';
  readonly device?: 'cpu' | 'cuda';
  /** backend simpletuner: dataset.images' manifest.jsonl, or a folder of images with .txt captions. */
  readonly images?: string;
  /** backend simpletuner: the diffusers model folder or hub id SimpleTuner loads. Default: `model`. */
  readonly pretrained_model?: string;
  /** backend simpletuner: training resolution in pixels. */
  readonly resolution?: number;
  /** backend simpletuner: SimpleTuner's own validation images during training. */
  readonly validation?: ExpertValidation;
  /** backend simpletuner: validate by partially denoising dataset images. */
  readonly validation_using_datasets?: boolean;
  /** Inputs in which this expert may differ from the other one (the workflow rules check the rest). */
  readonly intended_differences?: readonly (
    'model' | 'pretrained_model' | 'cache' | 'resolution' | 'images' | 'backend'
  )[];
  /** backend simpletuner: the command that starts training. Default: `simpletuner train`. */
  readonly simpletuner_command?: readonly string[];
}

export type MixedPrecision = 'no' | 'fp16' | 'bf16';

/** SimpleTuner's validation during training, with compose.inference's names where they mean the same. */
export interface ExpertValidation {
  readonly every?: number;
  readonly prompts?: string | readonly string[];
  readonly negative_prompt?: string;
  readonly guidance_scale?: number;
  readonly guidance_rescale?: number;
  readonly steps?: number;
  readonly seed?: number;
  /** SimpleTuner's validation loss on the held-out images every this many steps (eval_steps_interval). */
  readonly loss_every?: number;
  /** At most this many held-out images per validation loss (num_eval_images), as evaluate's `max_items`. */
  readonly max_items?: number;
  /** Timesteps the validation loss averages over (eval_timesteps), as evaluate's `eval_timesteps`. */
  readonly eval_timesteps?: number;
}

/** Caption dropout on both backends when the pipeline does not set it (SimpleTuner's own default is 0.1). */
export const CAPTION_DROPOUT_DEFAULT = 0;

/** What each backend trains in when `mixed_precision` is not set: SimpleTuner's default, moe's fp32. */
export function mixedPrecisionOf(w: Pick<TrainExpertWith, 'mixed_precision' | 'backend'>): MixedPrecision {
  return w.mixed_precision ?? (w.backend === 'simpletuner' ? 'bf16' : 'no');
}

export const TRAIN_DEFAULTS = {
  strength: 0.35,
  learning_rate: 1e-4,
  lr_scheduler: 'constant',
  lr_warmup_steps: 0,
  weight_decay: 1e-2,
  batch_size: 1,
  gradient_accumulation: 1,
  steps: 100,
  checkpoint_every: 100,
  seed: 0,
  backend: 'builtin',
  device: 'cpu',
  resolution: 1024,
} as const;

/** The optimisation settings both backends take from `with` alike, defaults filled in. */
export function optimisationSettings(w: TrainExpertWith) {
  return {
    learningRate: w.learning_rate ?? TRAIN_DEFAULTS.learning_rate,
    lrScheduler: w.lr_scheduler ?? TRAIN_DEFAULTS.lr_scheduler,
    lrWarmupSteps: w.lr_warmup_steps ?? TRAIN_DEFAULTS.lr_warmup_steps,
    weightDecay: w.weight_decay ?? TRAIN_DEFAULTS.weight_decay,
    batchSize: w.batch_size ?? TRAIN_DEFAULTS.batch_size,
    gradientAccumulation: w.gradient_accumulation ?? TRAIN_DEFAULTS.gradient_accumulation,
    ...(w.max_grad_norm !== undefined ? { maxGradNorm: w.max_grad_norm } : {}),
    ...(w.max_grad_norm !== undefined ? { gradClipMethod: w.grad_clip_method ?? ('norm' as const) } : {}),
    ...(w.snr_gamma !== undefined ? { snrGamma: w.snr_gamma } : {}),
    ...timestepBiasOf(w),
    ...(w.ema_decay !== undefined ? { emaDecay: w.ema_decay } : {}),
    captionDropout: w.caption_dropout_probability ?? CAPTION_DROPOUT_DEFAULT,
    steps: w.steps ?? TRAIN_DEFAULTS.steps,
    checkpointEvery: w.checkpoint_every ?? TRAIN_DEFAULTS.checkpoint_every,
    seed: w.seed ?? TRAIN_DEFAULTS.seed,
  };
}

/** The timestep bias a `with` block asks for (SimpleTuner's defaults for the keys it leaves out); none by default. */
export function timestepBiasOf(w: TrainExpertWith): { timestepBias?: TimestepBias } {
  const strategy = w.timestep_bias_strategy ?? 'none';
  if (strategy === 'none') return {};
  const multiplier = w.timestep_bias_multiplier ?? TIMESTEP_BIAS_DEFAULTS.multiplier;
  return strategy === 'range'
    ? {
        timestepBias: {
          strategy,
          multiplier,
          begin: w.timestep_bias_begin ?? TIMESTEP_BIAS_DEFAULTS.begin,
          end: w.timestep_bias_end ?? TIMESTEP_BIAS_DEFAULTS.end,
        },
      }
    : {
        timestepBias: {
          strategy,
          multiplier,
          portion: w.timestep_bias_portion ?? TIMESTEP_BIAS_DEFAULTS.portion,
        },
      };
}

const positiveInt = (description: string, dflt?: number): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  ...(dflt !== undefined ? { default: dflt } : {}),
  description,
});

export const trainExpertSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'model'],
  // The built-in trainer reads moe's embedding cache; SimpleTuner reads the images and computes its own.
  if: { properties: { backend: { const: 'simpletuner' } }, required: ['backend'] },
  then: { required: ['images'] },
  else: { required: ['cache'] },
  properties: {
    role: {
      enum: ['base', 'refiner'],
      description:
        "base: the high-noise expert (timesteps int(strength·N)…N−1, SimpleTuner's inverted schedule); refiner: the low-noise one (0…int(N·strength)−1).",
    },
    model: {
      type: 'string',
      minLength: 1,
      description:
        'Model folder (models.tiny output or an SDXL/SSD-1B folder); its unet/ diffusers folder is trained.',
    },
    cache: {
      type: 'string',
      minLength: 1,
      description:
        'The embeds.cache output (items.jsonl + tensors.safetensors). Required by the builtin backend.',
    },
    strength: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: TRAIN_DEFAULTS.strength,
      description:
        'Refiner training strength s: the two experts split the timesteps at int(s·N). With objective flow_matching, the boundary b = s.',
    },
    ...flowSchemaProperties(true),
    prediction_type: {
      enum: ['epsilon', 'v_prediction', 'sample'],
      description: "What the UNet predicts. Default: the model folder's scheduler config (epsilon for SDXL).",
    },
    zero_snr: {
      type: 'boolean',
      description:
        "Rescale the betas to zero terminal SNR. Default: the scheduler config's rescale_betas_zero_snr, else false.",
    },
    timestep_spacing: {
      enum: ['leading', 'trailing', 'linspace'],
      description:
        "Recorded with the run (it changes inference timesteps, not training ones). Default: the scheduler config's.",
    },
    noise_schedule: {
      type: 'object',
      additionalProperties: false,
      description: "Overrides of the model folder's scheduler config.",
      properties: {
        beta_schedule: { enum: ['linear', 'scaled_linear', 'squaredcos_cap_v2'] },
        beta_start: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        beta_end: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        num_train_timesteps: { type: 'integer', minimum: 2 },
      },
    },
    learning_rate: { type: 'number', exclusiveMinimum: 0, default: TRAIN_DEFAULTS.learning_rate },
    lr_scheduler: {
      enum: ['constant', 'constant_with_warmup', 'linear', 'cosine'],
      default: TRAIN_DEFAULTS.lr_scheduler,
      description: "diffusers' get_scheduler semantics; constant ignores lr_warmup_steps.",
    },
    lr_warmup_steps: { type: 'integer', minimum: 0, default: TRAIN_DEFAULTS.lr_warmup_steps },
    weight_decay: {
      type: 'number',
      minimum: 0,
      default: TRAIN_DEFAULTS.weight_decay,
      description: 'AdamW decoupled weight decay.',
    },
    batch_size: positiveInt('Samples per micro-batch.', TRAIN_DEFAULTS.batch_size),
    gradient_accumulation: positiveInt(
      'Micro-batches per optimizer step.',
      TRAIN_DEFAULTS.gradient_accumulation,
    ),
    gradient_checkpointing: {
      type: 'boolean',
      default: false,
      description:
        'Accepted for SimpleTuner parity; the built-in backend runs one fused training graph and does not recompute activations.',
    },
    max_grad_norm: {
      type: 'number',
      exclusiveMinimum: 0,
      description:
        'Clip the gradients at this value (see grad_clip_method). Default: no clipping on both backends (moe writes max_grad_norm 0 for SimpleTuner, whose own default is 2.0).',
    },
    grad_clip_method: {
      enum: ['norm', 'value'],
      default: 'norm',
      description:
        "How max_grad_norm clips: norm scales all gradients when their global L2 norm exceeds it (torch clip_grad_norm_); value limits each element to ±max_grad_norm (torch clip_grad_value_, SimpleTuner's default). The same on both backends.",
    },
    mixed_precision: {
      enum: ['no', 'fp16', 'bf16'],
      description:
        "Training precision. Default: bf16 with backend simpletuner (SimpleTuner's default: the UNet cast to bf16 and trained with adamw_bf16), no (fp32) with builtin, which trains in fp32 only.",
    },
    snr_gamma: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Min-SNR-γ loss weighting (5 is usual). Default: off.',
    },
    timestep_bias_strategy: {
      enum: ['none', 'earlier', 'later', 'range'],
      default: 'none',
      description:
        "SimpleTuner's timestep bias: timesteps of one part of the schedule weigh timestep_bias_multiplier, the rest 1, and each batch draws by weight inside the expert's range (still stratified). earlier: the first timestep_bias_portion of 0…N−1 (low noise); later: the last (high noise); range: timestep_bias_begin…timestep_bias_end−1. Default: none (uniform).",
    },
    timestep_bias_multiplier: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1,
      description: 'Weight of the biased timesteps against 1 for the others (below 1 biases away from them).',
    },
    timestep_bias_portion: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.25,
      description: 'earlier/later: the share of all N training timesteps that is biased.',
    },
    timestep_bias_begin: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'range: the first biased timestep.',
    },
    timestep_bias_end: {
      type: 'integer',
      minimum: 1,
      default: 1000,
      description: 'range: one past the last biased timestep.',
    },
    ema_decay: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: 'Keep an EMA of the weights and output it. Default: no EMA.',
    },
    caption_dropout_probability: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0,
      description:
        "Share of samples trained on the empty prompt (zero embeddings), so classifier-free guidance works. 0 on both backends unless set (moe always writes it for SimpleTuner, whose own default is 0.1; the seed's SSD-1B run used that 0.1).",
    },
    steps: positiveInt('Optimizer steps.', TRAIN_DEFAULTS.steps),
    checkpoint_every: positiveInt(
      'Write a checkpoint every this many steps.',
      TRAIN_DEFAULTS.checkpoint_every,
    ),
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: TRAIN_DEFAULTS.seed },
    backend: {
      enum: ['builtin', 'simpletuner'],
      default: TRAIN_DEFAULTS.backend,
      description:
        'builtin: moe trains on onnxruntime from `cache`. simpletuner: SimpleTuner trains on the GPU from `images`.',
    },
    device: { enum: ['cpu', 'cuda'], default: TRAIN_DEFAULTS.device },
    images: {
      type: 'string',
      minLength: 1,
      description:
        "backend simpletuner (required there): dataset.images' manifest.jsonl (its train split is used) or a folder of images with .txt captions beside them.",
    },
    pretrained_model: {
      type: 'string',
      minLength: 1,
      description:
        'backend simpletuner: the diffusers model folder or Hugging Face hub id SimpleTuner fine-tunes (segmind/SSD-1B). Default: `model`.',
    },
    resolution: {
      type: 'integer',
      minimum: 64,
      default: TRAIN_DEFAULTS.resolution,
      description: "backend simpletuner: training resolution in pixels (SimpleTuner's resolution).",
    },
    validation: {
      type: 'object',
      additionalProperties: false,
      description:
        "backend simpletuner: SimpleTuner's validation images during training (at the expert's resolution), saved into the expert's `validation` output. Names as in compose.inference.",
      properties: {
        every: positiveInt('Validate every this many steps (validation_step_interval; SimpleTuner: 100).'),
        prompts: {
          oneOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          ],
          description:
            'The validation prompt, or several (the first as validation_prompt, the rest through user_prompt_library).',
        },
        negative_prompt: { type: 'string' },
        guidance_scale: {
          type: 'number',
          minimum: 0,
          description: 'validation_guidance (SimpleTuner: 7.5).',
        },
        guidance_rescale: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'validation_guidance_rescale (SimpleTuner: 0).',
        },
        steps: positiveInt('validation_num_inference_steps (SimpleTuner: 30).'),
        seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'validation_seed.' },
        loss_every: positiveInt(
          "SimpleTuner's validation loss every this many steps (eval_steps_interval): the loss on dataset.images' held-out (eval split) images, kept in training.json and the report. Needs `images` to be dataset.images' manifest with an eval split.",
        ),
        max_items: positiveInt(
          'Validation loss on at most this many held-out images (num_eval_images; SimpleTuner: 4).',
        ),
        eval_timesteps: {
          type: 'integer',
          minimum: 2,
          maximum: 1000,
          description:
            'Timesteps the validation loss averages over, spread over the whole schedule (eval_timesteps; SimpleTuner: 28).',
        },
      },
    },
    validation_using_datasets: {
      type: 'boolean',
      default: false,
      description:
        'backend simpletuner: validate by partially denoising dataset images (SimpleTuner fixes that strength at 0.2).',
    },
    intended_differences: {
      type: 'array',
      uniqueItems: true,
      items: { enum: ['model', 'pretrained_model', 'cache', 'resolution', 'images', 'backend'] },
      description:
        "Inputs in which the two experts are meant to differ. Otherwise `moe validate` requires both to share model, pretrained_model, cache, resolution, images and backend (one embedding cache; SimpleTuner's caches are then one set).",
    },
    simpletuner_command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        'backend simpletuner: the command that starts training; SimpleTuner gets its config through CONFIG_BACKEND=json and CONFIG_PATH. Default: [simpletuner, train].',
    },
  },
};
