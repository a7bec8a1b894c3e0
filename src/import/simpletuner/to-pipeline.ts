// Turns one or two SimpleTuner configs (stage one = base, stage two = refiner) and their data backend
// into a moe pipeline document, and lists every option that has no moe counterpart.
import type { JsonValue } from '../../pipeline/types.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { RawOptions, RawValue, ReadConfig } from './options.js';

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
const oneOf =
  (...allowed: string[]): Convert =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? v : undefined;

/** SimpleTuner option → train.expert `with` field. */
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
  snr_gamma: ['snr_gamma', num],
  max_train_steps: ['steps', int],
  checkpoint_step_interval: ['checkpoint_every', int],
  checkpointing_steps: ['checkpoint_every', int],
  seed: ['seed', int],
};

/** Options moe decides itself (paths, roles, resume) and that need no counterpart. */
const MANAGED = new Set([
  'output_dir',
  'data_backend_config',
  'resume_from_checkpoint',
  'refiner_training',
  'refiner_training_invert_schedule',
  'pretrained_model_name_or_path',
]);

function roleOf(o: RawOptions): 'base' | 'refiner' | undefined {
  if (bool(o.refiner_training ?? false) !== true) return undefined;
  return bool(o.refiner_training_invert_schedule ?? false) === true ? 'base' : 'refiner';
}

interface Expert {
  readonly with: Record<string, JsonValue>;
  readonly model: string | undefined;
}

function convertExpert(cfg: ReadConfig, role: 'base' | 'refiner', notCarried: NotCarried[]): Expert {
  const o = cfg.options;
  const drop = (option: string, reason: string): void => {
    const value = o[option];
    if (value !== undefined) notCarried.push({ file: cfg.file, option, value, reason });
  };
  const w: Record<string, JsonValue> = {};
  for (const [option, value] of Object.entries(o)) {
    const target = TO_WITH[option];
    if (target) {
      const converted = target[1](value);
      if (converted === undefined) drop(option, `value not supported by train.expert ${target[0]}`);
      else w[target[0]] = converted;
      continue;
    }
    if (MANAGED.has(option)) continue;
    if (option === 'model_family') {
      if (value !== 'sdxl') drop(option, 'moe trains SDXL-family UNets only (SSD-1B, SDXL)');
    } else if (option === 'model_type') {
      if (value !== 'full') drop(option, 'moe trains the full UNet; LoRA is not supported');
    } else if (option === 'use_ema') {
      if (bool(value) === true && o.ema_decay === undefined) w.ema_decay = 0.995;
    } else if (option === 'ema_decay') {
      if (bool(o.use_ema ?? false) === true) {
        const d = num(value);
        if (d === undefined) drop(option, 'not a number');
        else w.ema_decay = d;
      }
    } else if (option === 'num_train_epochs') {
      if (o.max_train_steps === undefined && num(value) !== 0) {
        drop(option, 'moe counts optimizer steps; set steps from max_train_steps');
      }
    } else if (option === 'report_to') {
      if (value !== 'none') drop(option, 'moe records metrics itself (metrics.jsonl, report step)');
    } else {
      drop(option, 'no moe counterpart');
    }
  }
  for (const name of cfg.unknownVariables) {
    notCarried.push({
      file: cfg.file,
      option: name,
      value: '(config.env variable)',
      reason: 'not a SimpleTuner option',
    });
  }
  const model = o.pretrained_model_name_or_path;
  return {
    with: { role, ...w, backend: 'simpletuner', device: 'cuda' },
    model: typeof model === 'string' ? model : undefined,
  };
}

export function simpleTunerToPipeline(input: ImportInput): Result<ImportResult, string> {
  const notes: string[] = [];
  const notCarried: NotCarried[] = [];
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
    : { with: { ...first.with, role: secondRole }, model: first.model };
  if (!input.stage2) {
    notes.push(`no --stage2 config: the ${secondRole} expert repeats the ${firstRole} expert's settings`);
  }
  if (first.model !== undefined && second.model !== undefined && first.model !== second.model) {
    notes.push(
      `the stages name different models; both experts use ${first.model} (the base model they share)`,
    );
  }
  const model = first.model ?? second.model;
  if (model === undefined) return err('no pretrained_model_name_or_path (MODEL_NAME) in the config');

  const data = dataset(input, notCarried, notes);
  const base = firstRole === 'base' ? first : second;
  const refiner = firstRole === 'base' ? second : first;
  // SimpleTuner reads the prepared images and computes its own caches (shared by both experts), so the
  // experts take dataset.images' manifest directly; `model` is the hub id or folder SimpleTuner loads.
  const expertNode = (e: Expert): Record<string, JsonValue> => ({
    step: 'train.expert',
    with: {
      ...e.with,
      model: '${{ params.model }}',
      images: '${{ nodes.dataset.outputs.manifest }}',
      ...(data.resolution !== undefined ? { resolution: data.resolution } : {}),
    },
    resources: { gpu: 1 },
  });
  const pipeline: Record<string, JsonValue> = {
    version: 1,
    name: input.name,
    params: { model, images: data.path },
    nodes: {
      dataset: {
        step: 'dataset.images',
        with: {
          path: '${{ params.images }}',
          ...(data.resolution !== undefined ? { resolution: data.resolution } : {}),
        },
      },
      base: expertNode(base),
      refiner: expertNode(refiner),
    },
  };
  return ok({ pipeline, notCarried, notes });
}

function dataset(
  input: ImportInput,
  notCarried: NotCarried[],
  notes: string[],
): { readonly path: string; readonly resolution: number | undefined } {
  const fromConfig = int(input.stage1.options.resolution ?? '');
  const entries = input.databackend?.entries ?? [];
  const images = entries.filter((d) => d.dataset_type === undefined || d.dataset_type === 'image');
  const first = images[0];
  if (!input.databackend || !first) {
    notes.push('no image data backend given (--databackend): set params.images to your image folder');
    return { path: 'images', resolution: typeof fromConfig === 'number' ? fromConfig : undefined };
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
  for (const [key, value] of Object.entries(first)) {
    if (carried.has(key)) continue;
    notCarried.push({
      file,
      option: `${String(first.id)}.${key}`,
      value: scalar(value),
      reason: 'dataset.images has no counterpart',
    });
  }
  if (first.type !== undefined && first.type !== 'local') {
    notCarried.push({
      file,
      option: `${String(first.id)}.type`,
      value: scalar(first.type),
      reason: 'moe reads local folders only',
    });
  }
  if (first.caption_strategy !== undefined && first.caption_strategy !== 'textfile') {
    notCarried.push({
      file,
      option: `${String(first.id)}.caption_strategy`,
      value: scalar(first.caption_strategy),
      reason: 'dataset.images reads captions from .txt files beside the images',
    });
  }
  notes.push(
    'caches: moe gives both experts the same SimpleTuner cache_dir and cache_dir_vae in its workspace; the imported ones are not used',
  );
  const res = int(scalar(first.resolution ?? ''));
  const resolution = typeof res === 'number' && first.resolution_type !== 'area' ? res : fromConfig;
  return {
    path: typeof first.instance_data_dir === 'string' ? first.instance_data_dir : 'images',
    resolution: typeof resolution === 'number' ? resolution : undefined,
  };
}

function scalar(v: unknown): RawValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
}
