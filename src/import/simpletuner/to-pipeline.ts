// Turns one or two SimpleTuner configs (stage one = base, stage two = refiner) and their data backend
// into the whole split-schedule pipeline (as pipelines/ssd1b.yaml is: dataset → cache, base and refiner →
// compose at the split, evaluate, report), and lists every option that has no moe counterpart.
import type { JsonValue } from '../../pipeline/types.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { SIMPLETUNER_DEFAULTS } from './defaults.js';
import type { RawOptions, RawValue, ReadConfig } from './options.js';
import { pipelineDocument } from './document.js';
import { splitShared } from '../pipeline-parts.js';
import { whereIs } from './options.js';
import { wanStageOf, wanToPipeline } from './wan.js';

export interface NotCarried {
  /** The file the option came from. */
  readonly file: string;
  readonly option: string;
  readonly value: RawValue;
  readonly reason: string;
}

export interface ImportResult {
  readonly pipeline: Readonly<Record<string, JsonValue>>;
  readonly notCarried: readonly NotCarried[];
  readonly notes: readonly string[];
}

export interface ImportInput {
  readonly name: string;
  readonly stage1: ReadConfig;
  readonly stage2?: ReadConfig;
  readonly databackend?: { readonly file: string; readonly entries: readonly Record<string, unknown>[] };
}

type Convert = (v: RawValue) => JsonValue | undefined;
const num: Convert = (v) =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;
const int: Convert = (v) => {
  const n = num(v);
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
};
const bool: Convert = (v) =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;
const str: Convert = (v) => (typeof v === 'string' ? v : String(v));
const oneOf =
  (...allowed: string[]): Convert =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? v : undefined;

/** SimpleTuner option → train.expert `with` field (a path for nested fields). */
const TO_WITH: Readonly<Record<string, readonly [string, Convert]>> = {
  refiner_training_strength: ['strength', num],
  prediction_type: ['prediction_type', oneOf('epsilon', 'v_prediction')],
  rescale_betas_zero_snr: ['zero_snr', bool],
  training_scheduler_timestep_spacing: ['timestep_spacing', oneOf('leading', 'trailing', 'linspace')],
  learning_rate: ['learning_rate', num],
  lr_scheduler: ['lr_scheduler', oneOf('constant', 'constant_with_warmup', 'linear', 'cosine')],
  lr_warmup_steps: ['lr_warmup_steps', int],
  adam_weight_decay: ['weight_decay', num],
  train_batch_size: ['batch_size', int],
  gradient_accumulation_steps: ['gradient_accumulation', int],
  gradient_checkpointing: ['gradient_checkpointing', bool],
  max_grad_norm: ['max_grad_norm', num],
  grad_clip_method: ['grad_clip_method', oneOf('norm', 'value')],
  mixed_precision: ['mixed_precision', oneOf('no', 'fp16', 'bf16')],
  caption_dropout_probability: ['caption_dropout_probability', num],
  snr_gamma: ['snr_gamma', num],
  timestep_bias_strategy: ['timestep_bias_strategy', oneOf('none', 'earlier', 'later', 'range')],
  timestep_bias_multiplier: ['timestep_bias_multiplier', num],
  timestep_bias_portion: ['timestep_bias_portion', num],
  timestep_bias_begin: ['timestep_bias_begin', int],
  timestep_bias_end: ['timestep_bias_end', int],
  max_train_steps: ['steps', int],
  checkpoint_step_interval: ['checkpoint_every', int],
  checkpointing_steps: ['checkpoint_every', int],
  seed: ['seed', int],
  resolution: ['resolution', int],
  validation_using_datasets: ['validation_using_datasets', bool],
  validation_step_interval: ['validation.every', int],
  validation_prompt: ['validation.prompts', str],
  validation_negative_prompt: ['validation.negative_prompt', str],
  validation_guidance: ['validation.guidance_scale', num],
  validation_guidance_rescale: ['validation.guidance_rescale', num],
  validation_num_inference_steps: ['validation.steps', int],
  validation_seed: ['validation.seed', int],
  // SimpleTuner's validation loss; moe gives it dataset.images' held-out split as the eval dataset.
  eval_steps_interval: ['validation.loss_every', int],
  num_eval_images: ['validation.max_items', int],
  eval_timesteps: ['validation.eval_timesteps', int],
};

/** Options moe decides itself (paths, roles, resume) and that need no counterpart. */
const MANAGED = new Set([
  'output_dir',
  'data_backend_config',
  'resume_from_checkpoint',
  'refiner_training',
  'refiner_training_invert_schedule',
  'pretrained_model_name_or_path',
  'num_processes',
  'num_machines',
]);

function roleOf(o: RawOptions): 'base' | 'refiner' | undefined {
  if (bool(o.refiner_training ?? false) !== true) return undefined;
  return bool(o.refiner_training_invert_schedule ?? false) === true ? 'base' : 'refiner';
}

interface Expert {
  readonly with: Record<string, JsonValue>;
  readonly model: string | undefined;
  readonly gpus: number;
}

function setPath(w: Record<string, JsonValue>, path: string, value: JsonValue): void {
  const [head, sub] = path.split('.') as [string, string | undefined];
  if (sub === undefined) {
    w[head] = value;
    return;
  }
  const inner = (w[head] ?? {}) as Record<string, JsonValue>;
  inner[sub] = value;
  w[head] = inner;
}

function otherOption(
  option: string,
  value: RawValue,
  o: RawOptions,
  w: Record<string, JsonValue>,
  drop: (reason: string) => void,
): void {
  if (option === 'model_family') {
    if (value !== 'sdxl') drop('moe trains SDXL-family UNets only (SSD-1B, SDXL)');
  } else if (option === 'model_type') {
    if (value !== 'full') drop('moe trains the full UNet; LoRA is not supported');
  } else if (option === 'use_ema') {
    if (bool(value) === true && o.ema_decay === undefined) w.ema_decay = 0.995;
  } else if (option === 'ema_decay') {
    const d = num(value);
    if (bool(o.use_ema ?? false) !== true) return;
    if (d === undefined) drop('not a number');
    else w.ema_decay = d;
  } else if (option === 'num_train_epochs') {
    if (o.max_train_steps === undefined && num(value) !== 0) {
      drop('moe counts optimizer steps; set steps from max_train_steps');
    }
  } else if (option === 'report_to') {
    // moe itself writes report_to simpletuner (its local training_metrics.jsonl, where moe reads the
    // validation loss); the hosted trackers have no counterpart.
    if (value !== 'none' && value !== 'simpletuner')
      drop("moe records metrics itself (metrics.jsonl, SimpleTuner's training_metrics.jsonl, report step)");
  } else if (option === 'validation_resolution') {
    const res = int(o.resolution ?? 1024);
    if (int(value) !== res) drop("moe validates at the expert's resolution");
  } else if (option === 'inference_scheduler_timestep_spacing') {
    // moe samples (SimpleTuner's validation images included) with the one timestep_spacing.
    if (value !== (o.training_scheduler_timestep_spacing ?? 'trailing'))
      drop('moe samples with the training spacing (timestep_spacing), validation images included');
  } else if (option === 'layer_freeze_strategy') {
    if (value !== 'none') drop('moe trains every UNet weight (no BitFit)');
  } else if (option === 'use_dora') {
    if (bool(value) === true) drop('moe trains the full UNet; DoRA is a LoRA variant');
  } else {
    drop('no moe counterpart');
  }
}

export function convertExpert(cfg: ReadConfig, role: 'base' | 'refiner', notCarried: NotCarried[]): Expert {
  const o = cfg.options;
  const w: Record<string, JsonValue> = {};
  for (const [option, value] of Object.entries(o)) {
    const drop = (reason: string): void => {
      notCarried.push({ file: whereIs(cfg, option), option, value, reason });
    };
    const target = TO_WITH[option];
    if (target) {
      const converted = target[1](value);
      if (converted === undefined) drop(`value not supported by train.expert ${target[0]}`);
      else setPath(w, target[0], converted);
      continue;
    }
    if (MANAGED.has(option)) continue;
    otherOption(option, value, o, w, drop);
  }
  // What the config left to SimpleTuner's defaults, written out where moe's own default differs; an
  // option whose value was not carried (listed) takes the default too, as compose and evaluate do.
  for (const [field, value] of Object.values(SIMPLETUNER_DEFAULTS)) {
    if (w[field] === undefined) w[field] = value;
  }
  for (const name of cfg.unknownVariables) {
    notCarried.push({
      file: cfg.file,
      option: name,
      value: '(config.env variable)',
      reason: "not one of SimpleTuner's config.env variables",
    });
  }
  const model = o.pretrained_model_name_or_path;
  // accelerate's num_processes counts every GPU over all machines: the node's `gpu`.
  const processes = int(o.num_processes ?? 1);
  return {
    with: { role, ...w },
    model: typeof model === 'string' ? model : undefined,
    gpus: typeof processes === 'number' && processes > 0 ? processes : 1,
  };
}

export function simpleTunerToPipeline(input: ImportInput): Result<ImportResult, string> {
  // A Wan 2.2 stage (model_family wan, a staged model_flavour) is one expert of a flow-matching pair.
  if (wanStageOf(input.stage1.options) !== undefined) return wanToPipeline(input);
  const notes: string[] = [];
  const notCarried: NotCarried[] = [];
  const experts = convertExperts(input, notCarried, notes);
  if (!experts.ok) return experts;
  const { base, refiner, pretrained } = experts.value;
  const data = dataset(input, notCarried, notes);
  // validation_using_datasets is the refiner's (its strength is SimpleTuner's fixed 0.2, a low-noise band).
  if (base.with.validation_using_datasets === true) {
    delete base.with.validation_using_datasets;
    notes.push(
      "validation_using_datasets on the stage-one (base) config is not carried: dataset validation (strength 0.2) is the refiner's",
    );
  }
  // What the method needs both stages to share: a difference is the very mistake moe exists to catch, so
  // it is said here too, not only by the `moe validate` that follows.
  for (const key of ['strength', 'prediction_type', 'zero_snr', 'timestep_spacing'] as const) {
    const [b, r] = [base.with[key], refiner.with[key]];
    if (JSON.stringify(b) !== JSON.stringify(r)) {
      notes.push(
        `the stages disagree on ${key} (base ${JSON.stringify(b) ?? 'unset'}, refiner ${JSON.stringify(r) ?? 'unset'}): both experts must share it, so moe validate refuses the pipeline until they agree`,
      );
    }
  }
  const split = splitShared(base.with, refiner.with);
  if (split.shared.seed === undefined && base.with.seed === undefined) {
    notes.push('no seed in the configs (SimpleTuner then draws one): params.seed is 42');
  }
  if (split.shared.steps === undefined && base.with.steps === undefined) {
    notes.push(
      'no max_train_steps (SimpleTuner then trains num_train_epochs, 1 by default): params.train_steps is 10000; set it for your data',
    );
  }
  notes.push(
    'params.model must be an Optimum ONNX export of the model (text encoders, VAE, with the diffusers unet/): embeds.cache, compose.inference and evaluate run on it; pretrained_model is what SimpleTuner trains',
  );
  const gpus = Math.max(base.gpus, refiner.gpus);
  const pipeline = pipelineDocument({ name: input.name, pretrained, data, split, gpus });
  return ok({ pipeline, notCarried, notes });
}

/**
 * Both experts from the stage configs: which one each config trains (a config that does not say is the
 * base, or the other one's partner), a lone stage one repeated for the other expert, and the shared model.
 */
function convertExperts(
  input: ImportInput,
  notCarried: NotCarried[],
  notes: string[],
): Result<{ readonly base: Expert; readonly refiner: Expert; readonly pretrained: string }, string> {
  const r1 = roleOf(input.stage1.options);
  const r2 = input.stage2 ? roleOf(input.stage2.options) : undefined;
  const firstRole = r1 ?? (r2 === 'base' ? 'refiner' : 'base');
  if (r1 === undefined) {
    notes.push(
      `${input.stage1.file} does not set refiner_training: imported as the ${firstRole} expert of a split-schedule pair`,
    );
  }
  const secondRole = firstRole === 'base' ? 'refiner' : 'base';
  if (input.stage2 && r2 !== undefined && r2 !== secondRole) {
    return err(`both configs train the ${firstRole} expert; --stage2 must train the other one`);
  }
  const first = convertExpert(input.stage1, firstRole, notCarried);
  const second = input.stage2
    ? convertExpert(input.stage2, secondRole, notCarried)
    : { ...first, with: { ...first.with, role: secondRole } };
  if (!input.stage2) {
    notes.push(`no --stage2 config: the ${secondRole} expert repeats the ${firstRole} expert's settings`);
  }
  if (first.model !== undefined && second.model !== undefined && first.model !== second.model) {
    notes.push(
      `the stages name different models; both experts use ${first.model} (the base model they share)`,
    );
  }
  const pretrained = first.model ?? second.model;
  if (pretrained === undefined) return err('no pretrained_model_name_or_path (MODEL_NAME) in the config');
  return firstRole === 'base'
    ? ok({ base: first, refiner: second, pretrained })
    : ok({ base: second, refiner: first, pretrained });
}

export function dataset(
  input: ImportInput,
  notCarried: NotCarried[],
  notes: string[],
): { readonly path: string; readonly resolution: number | undefined } {
  const fromConfig = int(input.stage1.options.resolution ?? '');
  const entries = input.databackend?.entries ?? [];
  const images = entries.filter((d) => d.dataset_type === undefined || d.dataset_type === 'image');
  const first = images[0];
  if (!input.databackend || !first) {
    notes.push('no image data backend given (--databackend): set params.data to your image folder');
    return { path: '/data/images', resolution: typeof fromConfig === 'number' ? fromConfig : undefined };
  }
  const file = input.databackend.file;
  if (images.length > 1)
    notes.push(`${images.length} image backends: only "${String(first.id)}" is imported`);
  const carried = new Set([
    'id',
    'type',
    'instance_data_dir',
    'resolution',
    'cache_dir_vae',
    'caption_strategy',
    'dataset_type',
    'resolution_type',
    'default',
    'cache_dir',
  ]);
  const drop = (key: string, value: unknown, reason: string): void => {
    notCarried.push({ file, option: `${String(first.id)}.${key}`, value: scalar(value), reason });
  };
  for (const [key, value] of Object.entries(first))
    if (!carried.has(key)) drop(key, value, 'dataset.images has no counterpart');
  if (first.type !== undefined && first.type !== 'local')
    drop('type', first.type, 'moe reads local folders only');
  if (first.caption_strategy !== undefined && first.caption_strategy !== 'textfile')
    drop(
      'caption_strategy',
      first.caption_strategy,
      'dataset.images reads captions from .txt files beside the images',
    );
  notes.push(
    'caches: moe gives both experts the same SimpleTuner cache_dir and cache_dir_vae in its workspace; the imported ones are not used',
  );
  const res = int(scalar(first.resolution ?? ''));
  const resolution = typeof res === 'number' && first.resolution_type !== 'area' ? res : fromConfig;
  const folder = first.instance_data_dir;
  const usable = typeof folder === 'string' && folder !== '';
  if (folder !== undefined && !usable) drop('instance_data_dir', folder, 'expected a folder path (a string)');
  if (!usable)
    notes.push(
      `data backend "${String(first.id)}" has no instance_data_dir folder: set params.data to your image folder`,
    );
  return {
    path: usable ? folder : '/data/images',
    resolution: typeof resolution === 'number' ? resolution : undefined,
  };
}

function scalar(v: unknown): RawValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
}
