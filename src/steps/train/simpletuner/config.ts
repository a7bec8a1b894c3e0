// Writes a SimpleTuner configuration for one expert: config.json (a flat map of option names) and
// multidatabackend.json. Pure: no file system, so tests can check every key against SimpleTuner's option list.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Result } from '../../../util/result.js';
import { err, ok } from '../../../util/result.js';
import type { SimpleTunerSpec } from './spec.js';
import { evalSettings } from './validation-loss.js';

export type ConfigValue = string | number | boolean;

export interface SimpleTunerFiles {
  /** config.json: option names without the leading `--`. */
  readonly config: Readonly<Record<string, ConfigValue>>;
  readonly databackend: readonly Readonly<Record<string, ConfigValue>>[];
  /** user_prompt_library.json (shortname → prompt) when there is more than one validation prompt. */
  readonly promptLibrary?: Readonly<Record<string, string>>;
  /** Where SimpleTuner does something other than what the pipeline asks. */
  readonly warnings: readonly string[];
}

export const PROMPT_LIBRARY_FILE = 'user_prompt_library.json';

export const CONFIG_FILE = 'config.json';
export const DATABACKEND_FILE = 'multidatabackend.json';
/** SimpleTuner's fixed partial-denoise strength for `--validation_using_datasets`. */
export const DATASET_VALIDATION_STRENGTH = 0.2;

export function buildSimpleTunerFiles(spec: SimpleTunerSpec): Result<SimpleTunerFiles, string> {
  if (spec.predictionType === 'sample') {
    return err('prediction_type sample is not implemented by SimpleTuner (it raises NotImplementedError)');
  }
  for (const [name, path] of [
    ['output dir', spec.outputDir],
    ['cache_dir', spec.cacheDir],
    ['cache_dir_vae', spec.cacheDirVae],
    ['config dir', spec.configDir],
  ] as const) {
    if (!path.startsWith('/')) return err(`${name} must be an absolute path (got ${path})`);
  }
  const { warnings, snrGamma } = checkSettings(spec);
  const config = trainingOptions(spec, snrGamma);
  const promptLibrary = spec.validation ? validationOptions(spec, spec.validation, config) : undefined;
  const evaluation = evalSettings(spec);
  Object.assign(config, evaluation.config);
  warnings.push(...evaluation.warnings);
  const databackend = [...dataBackends(spec), ...(evaluation.dataset ? [evaluation.dataset] : [])];
  return ok({ config, databackend, ...(promptLibrary ? { promptLibrary } : {}), warnings });
}

/** Where SimpleTuner will not do what the spec asks: the warnings, and the snr_gamma it can take. */
function checkSettings(spec: SimpleTunerSpec): { warnings: string[]; snrGamma: number | undefined } {
  const warnings: string[] = [];
  if (spec.batchSize === 1) {
    warnings.push(
      `batch_size 1: SimpleTuner ignores the ${spec.role} expert's timestep range at batch size 1 and draws from all of 0..999; use batch_size 2 or more`,
    );
  }
  if (spec.validationUsingDatasets === true && spec.strength !== DATASET_VALIDATION_STRENGTH) {
    warnings.push(
      `validation_using_datasets: SimpleTuner denoises dataset images at a fixed strength of ${DATASET_VALIDATION_STRENGTH}, not the pipeline's ${spec.strength}`,
    );
  }
  let snrGamma = spec.snrGamma;
  if (snrGamma !== undefined && !Number.isInteger(snrGamma)) {
    warnings.push(`snr_gamma ${snrGamma}: SimpleTuner takes an integer; ${Math.round(snrGamma)} is used`);
    snrGamma = Math.round(snrGamma);
  }
  if (snrGamma !== undefined && spec.zeroSnr === true) {
    warnings.push('snr_gamma with zero_snr: the Min-SNR weight at t=999 is 0/0 in SimpleTuner');
  }
  return { warnings, snrGamma };
}

/** config.json's training options (the validation ones are added by validationOptions). */
function trainingOptions(spec: SimpleTunerSpec, snrGamma: number | undefined): Record<string, ConfigValue> {
  const config: Record<string, ConfigValue> = {
    model_family: spec.modelFamily ?? 'sdxl',
    model_type: 'full',
    optimizer: 'adamw_bf16',
    pretrained_model_name_or_path: spec.model,
    output_dir: spec.outputDir,
    data_backend_config: join(spec.configDir, DATABACKEND_FILE),
    refiner_training: true,
    refiner_training_strength: spec.strength,
    refiner_training_invert_schedule: spec.role === 'base',
    learning_rate: spec.learningRate,
    lr_scheduler: spec.lrScheduler ?? 'constant',
    lr_warmup_steps: spec.lrWarmupSteps ?? 0,
    train_batch_size: spec.batchSize,
    gradient_accumulation_steps: spec.gradientAccumulation,
    gradient_checkpointing: spec.gradientCheckpointing ?? false,
    max_train_steps: spec.steps,
    // SimpleTuner stops at whichever comes first; max_train_steps must decide.
    num_train_epochs: 0,
    checkpoint_step_interval: spec.checkpointEvery,
    seed: spec.seed,
    resume_from_checkpoint: 'latest',
    resolution: spec.resolution ?? 1024,
    // SimpleTuner drops 10% of captions unless told otherwise; moe's default is none on both backends.
    caption_dropout_probability: spec.captionDropout ?? 0,
    // What the pipeline means on both backends: no clipping unless max_grad_norm is set (SimpleTuner's
    // own default is 2.0 per element), and the clipping method moe names (SimpleTuner's own is value).
    max_grad_norm: spec.maxGradNorm ?? 0,
    grad_clip_method: spec.gradClipMethod ?? 'norm',
    mixed_precision: spec.mixedPrecision ?? 'bf16',
    // SimpleTuner validates at 256 px unless told otherwise; the expert's own resolution is meant.
    validation_resolution: spec.resolution ?? 1024,
    // SimpleTuner's local tracker: {output_dir}/training_metrics.jsonl, where moe reads the validation loss.
    report_to: 'simpletuner',
  };
  if (spec.predictionType !== undefined) config.prediction_type = spec.predictionType;
  if (spec.zeroSnr !== undefined) config.rescale_betas_zero_snr = spec.zeroSnr;
  if (spec.timestepSpacing !== undefined) {
    config.training_scheduler_timestep_spacing = spec.timestepSpacing;
    // The training spacing only moves SimpleTuner's eval-loss timesteps; its validation images sample with
    // the inference spacing (default trailing), which the pipeline's spacing means too (compose uses it).
    config.inference_scheduler_timestep_spacing = spec.timestepSpacing;
  }
  if (spec.weightDecay !== undefined) config.adam_weight_decay = spec.weightDecay;
  if (snrGamma !== undefined) config.snr_gamma = snrGamma;
  const bias = spec.timestepBias;
  if (bias !== undefined) {
    config.timestep_bias_strategy = bias.strategy;
    config.timestep_bias_multiplier = bias.multiplier;
    if (bias.strategy === 'range') {
      config.timestep_bias_begin = bias.begin;
      config.timestep_bias_end = bias.end;
    } else config.timestep_bias_portion = bias.portion;
  }
  if (spec.emaDecay !== undefined) {
    config.use_ema = true;
    config.ema_decay = spec.emaDecay;
  }
  if (spec.validationUsingDatasets === true) config.validation_using_datasets = true;
  return config;
}

/**
 * The validation options, added to `config`: the first prompt as validation_prompt, any others in a
 * prompt library (returned, for user_prompt_library.json).
 */
function validationOptions(
  spec: SimpleTunerSpec,
  v: NonNullable<SimpleTunerSpec['validation']>,
  config: Record<string, ConfigValue>,
): Record<string, string> | undefined {
  let promptLibrary: Record<string, string> | undefined;
  if (v.every !== undefined) config.validation_step_interval = v.every;
  const [first, ...rest] = v.prompts ?? [];
  if (first !== undefined) config.validation_prompt = first;
  if (rest.length > 0) {
    promptLibrary = Object.fromEntries(rest.map((p, i) => [`prompt_${i + 2}`, p]));
    config.user_prompt_library = join(spec.configDir, PROMPT_LIBRARY_FILE);
  }
  if (v.negativePrompt !== undefined) config.validation_negative_prompt = v.negativePrompt;
  if (v.guidanceScale !== undefined) config.validation_guidance = v.guidanceScale;
  if (v.guidanceRescale !== undefined) config.validation_guidance_rescale = v.guidanceRescale;
  if (v.steps !== undefined) config.validation_num_inference_steps = v.steps;
  if (v.seed !== undefined) config.validation_seed = v.seed;
  return promptLibrary;
}

/** multidatabackend.json: the image folder and the text-embeds cache. */
function dataBackends(spec: SimpleTunerSpec): Record<string, ConfigValue>[] {
  // Both experts name the same absolute caches so stage two reuses stage one's embeds and latents; the
  // defaults would live under each expert's output_dir and be computed twice.
  const images = {
    type: 'local',
    instance_data_dir: spec.dataDir,
    caption_strategy: 'textfile',
    resolution: spec.resolution ?? 1024,
    // dataset.images' buckets hold about resolution² pixels, which is what pixel_area means; `pixel`
    // would scale each image's shorter side to the resolution instead. They are cropped already.
    resolution_type: 'pixel_area',
    crop: false,
    cache_dir_vae: spec.cacheDirVae,
    repeats: 0,
  };
  return [
    { id: datasetId(images), ...images },
    {
      id: 'text-embeds',
      type: 'local',
      dataset_type: 'text_embeds',
      default: true,
      cache_dir: spec.cacheDir,
    },
  ];
}

/**
 * The image dataset's id: SimpleTuner names its bucket metadata in the image folder by it
 * (`aspect_ratio_bucket_indices_<id>.json`), so experts with the same data backend config share it and any
 * other config (another resolution, crop, caches) gets its own instead of reusing the other's buckets.
 */
export function datasetId(entry: Readonly<Record<string, ConfigValue>>): string {
  const keys = Object.keys(entry).sort();
  const text = JSON.stringify(keys.map((k) => [k, entry[k]]));
  return `images-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}
