// One or two musubi-tuner Wan 2.2 runs (the high-noise and low-noise experts trained apart, or both in one
// run with --dit_high_noise) and their dataset TOML → the flow-matching split-schedule pipeline, every
// option either carried into it or listed with the reason it is not.
import { densityCdf, unshiftSigma } from '../../diffusion/index.js';
import type { TimestepDensity } from '../../diffusion/index.js';
import type { JsonValue } from '../../pipeline/types.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { flowPipeline } from '../flow/pipeline.js';
import type { ImportedDataset, NotCarried } from './dataset.js';
import { datasetWith } from './dataset.js';
import { numberOption, runFlow, show, TASK_SAMPLING } from './flow.js';
import type { RunFlow } from './flow.js';
import type { MusubiRun } from './options.js';
import { at } from './options.js';

export interface MusubiImport {
  readonly pipeline: Record<string, JsonValue>;
  readonly notCarried: readonly NotCarried[];
  readonly notes: readonly string[];
}

/** Options the flow settings, the roles or the dataset read (handled in flow.ts and dataset.ts). */
const READ_ELSEWHERE = new Set([
  'timestep_sampling',
  'discrete_flow_shift',
  'sigmoid_scale',
  'weighting_scheme',
  'logit_mean',
  'logit_std',
  'mode_scale',
  'min_timestep',
  'max_timestep',
  'preserve_distribution_shape',
  'timestep_boundary',
  'task',
  'dataset_config',
]);

/** Options moe decides itself (its workspace, its logs, its loader): nothing to carry. */
const MANAGED = new Set([
  'output_dir',
  'output_name',
  'logging_dir',
  'log_with',
  'log_prefix',
  'log_config',
  'log_tracker_name',
  'log_tracker_config',
  'wandb_run_name',
  'wandb_api_key',
  'save_state',
  'save_state_on_train_end',
  'save_last_n_steps',
  'save_last_n_steps_state',
  'save_last_n_epochs',
  'save_last_n_epochs_state',
  'resume',
  'max_data_loader_n_workers',
  'persistent_data_loader_workers',
  'no_metadata',
  'show_timesteps',
]);

const REASONS: readonly [RegExp, string][] = [
  [
    /^(dit|dit_high_noise|vae|t5|clip)$/,
    "a Wan checkpoint: moe trains an SDXL-layout UNet (params.model), not Wan's DiT",
  ],
  [/^network_|^dim_from_weights$|^base_weights/, 'LoRA: moe trains the whole model'],
  [
    /fp8|blocks_to_swap|offload|swap|^(sdpa|flash_attn|flash3|sage_attn|xformers|split_attn)$|compile|dynamo|tf32|cudnn|vae_cache_cpu|vae_dtype|force_v2_1_time_embedding|pinned|numpy_memmap|ddp_/,
    "a memory or speed setting of musubi-tuner's PyTorch DiT: moe's trainer has its own",
  ],
  [/^sample_/, 'moe samples after training (compose.inference), not during it'],
  [/^(max_train_epochs|save_every_n_epochs)$/, 'moe counts optimizer steps (steps, checkpoint_every)'],
  [
    /^lr_(decay_steps|scheduler_num_cycles|scheduler_power|scheduler_timescale|scheduler_min_lr_ratio|scheduler_type|scheduler_args)$/,
    "moe's learning-rate schedules take no such parameter",
  ],
  [/^num_timestep_buckets$/, "moe stratifies each batch over the expert's range instead"],
  [/^guidance_scale$/, "HunyuanVideo's embedded guidance: not read for Wan"],
  [
    /^(metadata_|huggingface_|async_upload|save_state_to_huggingface|resume_from_huggingface)/,
    'publishing: moe keeps results in its workspace',
  ],
];

const reasonFor = (name: string): string =>
  REASONS.find(([re]) => re.test(name))?.[1] ?? 'no moe counterpart';

/** musubi-tuner's defaults where moe's differ (parser_common.py): written out when the run left them. */
const MUSUBI_DEFAULTS: Readonly<Record<string, JsonValue>> = {
  learning_rate: 2e-6,
  steps: 1600,
  lr_scheduler: 'constant',
  max_grad_norm: 1,
  grad_clip_method: 'norm',
  batch_size: 1,
};

interface Carried {
  readonly with: Record<string, JsonValue>;
}

/** The optimisation options of one run, as train.expert's `with` keys. */
function carryOptions(run: MusubiRun, notCarried: NotCarried[], notes: string[]): Result<Carried, string> {
  const w: Record<string, JsonValue> = {};
  const drop = (name: string, reason: string) => {
    const o = run.options.get(name);
    if (o) notCarried.push({ where: o.where, option: `--${name}`, value: show(o.value), reason });
  };
  const numeric: Readonly<Record<string, [string, 'int' | 'number']>> = {
    learning_rate: ['learning_rate', 'number'],
    max_train_steps: ['steps', 'int'],
    seed: ['seed', 'int'],
    gradient_accumulation_steps: ['gradient_accumulation', 'int'],
    save_every_n_steps: ['checkpoint_every', 'int'],
    max_grad_norm: ['max_grad_norm', 'number'],
  };
  for (const [name, o] of run.options) {
    const target = numeric[name];
    if (target !== undefined) {
      const n = numberOption(run, name);
      if (!n.ok) return n;
      const v = n.value as number;
      if (target[1] === 'int' && !Number.isInteger(v))
        return err(`${at(o.where)}: --${name}: expected an integer, got ${show(o.value)}`);
      if (name === 'max_grad_norm' && v === 0)
        notes.push(`${at(o.where)}: --max_grad_norm 0 turns clipping off: so does moe without max_grad_norm`);
      else w[target[0]] = v;
    } else if (name === 'gradient_checkpointing') w.gradient_checkpointing = true;
    else if (name === 'mixed_precision') {
      if (o.value !== 'no')
        drop(name, "moe's built-in trainer (the backend for flow matching) trains in fp32");
    } else if (name === 'lr_scheduler') {
      const ok = ['constant', 'constant_with_warmup', 'linear', 'cosine'].includes(String(o.value));
      if (ok) w.lr_scheduler = String(o.value);
      else drop(name, 'train.expert takes constant, constant_with_warmup, linear or cosine');
    } else if (name === 'optimizer_type') {
      if (!['', 'adamw', 'torch.optim.adamw'].includes(String(o.value).toLowerCase()))
        drop(name, 'moe trains with AdamW');
    } else if (name !== 'lr_warmup_steps' && !READ_ELSEWHERE.has(name) && !MANAGED.has(name)) {
      drop(name, reasonFor(name));
    }
  }
  if (w.steps === undefined && run.options.has('max_train_epochs')) {
    notes.push(
      `${run.file}: trained by epochs (--max_train_epochs): params.train_steps is musubi-tuner's default 1600; set it for your data`,
    );
  }
  const warmup = run.options.get('lr_warmup_steps');
  if (warmup !== undefined) {
    const n = numberOption(run, 'lr_warmup_steps');
    if (!n.ok) return n;
    const steps = (w.steps as number | undefined) ?? (MUSUBI_DEFAULTS.steps as number);
    // musubi-tuner reads a value below 1 as a share of the training steps.
    const v = n.value as number;
    w.lr_warmup_steps = v < 1 ? Math.round(v * steps) : Math.round(v);
    if (v < 1)
      notes.push(
        `${at(warmup.where)}: --lr_warmup_steps ${v} is a share of ${steps} steps: ${w.lr_warmup_steps} steps`,
      );
  }
  if (w.max_grad_norm !== undefined) w.grad_clip_method = 'norm';
  return ok({ with: w });
}

function densityOfWith(d: Record<string, JsonValue>): TimestepDensity {
  if (d.timestep_density === 'uniform') return { kind: 'uniform' };
  if (d.timestep_density === 'mode') return { kind: 'mode', scale: d.mode_scale as number };
  return { kind: 'logit_normal', mean: d.logit_mean as number, std: d.logit_std as number };
}

/** The share of a run's draws that land on the high-noise side of the boundary. */
export function highNoiseShare(flow: Pick<RunFlow, 'density' | 'shift' | 'boundary'>): number {
  return 1 - densityCdf(densityOfWith(flow.density), unshiftSigma(flow.shift, flow.boundary));
}

interface ExpertOf {
  readonly run: MusubiRun;
  readonly flow: RunFlow;
  readonly with: Record<string, JsonValue>;
}

export interface MusubiInput {
  readonly name: string;
  readonly runs: readonly MusubiRun[];
  readonly dataset?: ImportedDataset;
}

function fillDefaults(w: Record<string, JsonValue>): Record<string, JsonValue> {
  const out = { ...w };
  for (const [k, v] of Object.entries(MUSUBI_DEFAULTS)) if (out[k] === undefined) out[k] = v;
  if (w.max_grad_norm === undefined && w.grad_clip_method === undefined) out.grad_clip_method = 'norm';
  return out;
}

/** Pairs the runs' experts: both from one run, or one from each of two runs (which must agree). */
function pairExperts(
  runs: readonly { run: MusubiRun; flow: RunFlow; with: Record<string, JsonValue> }[],
  notes: string[],
): Result<{ base: ExpertOf; refiner: ExpertOf }, string> {
  const [first, second] = runs;
  if (first === undefined) return err('no musubi-tuner run given');
  if (second === undefined) {
    if (first.flow.roles.length === 2) {
      const share = highNoiseShare(first.flow);
      const steps = first.with.steps as number;
      notes.push(
        `${first.run.file}: both experts trained in one run of ${steps} steps, each batch by one expert chosen by its first draw: the high-noise expert got about ${Math.round(share * 100)} % of the steps; moe trains each for ${steps}`,
      );
      return ok({ base: first, refiner: first });
    }
    const role = first.flow.roles[0] as 'base' | 'refiner';
    const other = role === 'base' ? 'refiner' : 'base';
    notes.push(
      `only the ${role === 'base' ? 'high' : 'low'}-noise run given: the ${other === 'base' ? 'high' : 'low'}-noise expert repeats its settings (give the other run with --other)`,
    );
    return ok({ base: first, refiner: first });
  }
  if (first.flow.roles.length === 2 || second.flow.roles.length === 2) {
    return err(
      `${second.run.file}: ${first.flow.roles.length === 2 ? first.run.file : second.run.file} trains both experts already (--dit_high_noise): give one run`,
    );
  }
  if (first.flow.roles[0] === second.flow.roles[0]) {
    const name = first.flow.roles[0] === 'base' ? 'high' : 'low';
    return err(
      `${second.run.file}: both runs train the ${name}-noise expert (see their --min_timestep/--max_timestep): the other run must train the other one`,
    );
  }
  const where = (f: RunFlow, r: MusubiRun) => (f.boundaryFrom ? at(f.boundaryFrom.where) : r.file);
  if (Math.abs(first.flow.boundary - second.flow.boundary) > 1e-9) {
    return err(
      `${where(second.flow, second.run)}: the experts do not meet: one run's range ends at ${first.flow.boundary * 1000}, the other's at ${second.flow.boundary * 1000} (${where(first.flow, first.run)}); give both the same boundary`,
    );
  }
  if (first.flow.shift !== second.flow.shift) {
    const w = (f: RunFlow, r: MusubiRun) =>
      f.shiftOption ? at(f.shiftOption.where) : `${r.file} (unshifted)`;
    return err(
      `${w(second.flow, second.run)}: the runs train with different shifts (${first.flow.shift} and ${second.flow.shift}, ${w(first.flow, first.run)}): moe uses one shift for both experts and the sampler`,
    );
  }
  const base = first.flow.roles[0] === 'base' ? first : second;
  return ok({ base, refiner: base === first ? second : first });
}

export function musubiToPipeline(input: MusubiInput): Result<MusubiImport, string> {
  const notCarried: NotCarried[] = [];
  const notes: string[] = [...input.runs.flatMap((r) => r.notes), ...(input.dataset?.notes ?? [])];
  const runs: ExpertOf[] = [];
  for (const run of input.runs) {
    const flow = runFlow(run, notCarried);
    if (!flow.ok) return flow;
    const carried = carryOptions(run, notCarried, notes);
    if (!carried.ok) return carried;
    const w = fillDefaults({ ...carried.value.with, ...(input.dataset ? datasetWith(input.dataset) : {}) });
    runs.push({ run, flow: flow.value, with: { ...w, ...flow.value.density } });
  }
  const pair = pairExperts(runs, notes);
  if (!pair.ok) return pair;
  const { base, refiner } = pair.value;
  const task = base.run.options.get('task')?.value ?? refiner.run.options.get('task')?.value;
  const sampling = TASK_SAMPLING[typeof task === 'string' ? task : ''];
  if (sampling !== undefined && sampling.shift !== base.flow.shift) {
    notes.push(
      `Wan 2.2 ${String(task)} samples with shift ${sampling.shift}; moe samples with the training shift ${base.flow.shift} (one shift for training and sampling): set params.shift to choose another for both`,
    );
  }
  const data = input.dataset;
  if (data === undefined)
    notes.push(
      'no dataset TOML (--dataset, or --dataset_config in the run): set params.data to your image folder',
    );
  const size = data?.size ?? [832, 480];
  if (base.with.seed === undefined)
    notes.push("no --seed (musubi-tuner then draws one): the experts train with moe's seed 0");
  const densityKeys = ['timestep_density', 'logit_mean', 'logit_std', 'mode_scale'];
  const strip = (w: Record<string, JsonValue>) =>
    Object.fromEntries(Object.entries(w).filter(([k]) => !densityKeys.includes(k)));
  const sameDensity = JSON.stringify(base.flow.density) === JSON.stringify(refiner.flow.density);
  notes.push(
    'params.model must be an Optimum ONNX export of an SDXL-layout model (text encoders, VAE, unet/): moe trains and samples it, not the Wan DiT named by --dit',
  );
  const pipeline = flowPipeline({
    name: input.name,
    source: 'musubi-tuner',
    base: sameDensity ? strip(base.with) : base.with,
    refiner: sameDensity ? strip(refiner.with) : refiner.with,
    boundary: base.flow.boundary,
    shift: base.flow.shift,
    density: sameDensity ? base.flow.density : {},
    data: {
      path: data?.path ?? '/data/images',
      resolution: data?.resolution ?? 720,
      buckets: data?.buckets ?? false,
    },
    sampling: {
      steps: sampling?.steps ?? 40,
      guidance: sampling ? { base: sampling.guidance[1], refiner: sampling.guidance[0] } : 5,
      width: size[0],
      height: size[1],
      prompts: ['a lighthouse on a cliff at dusk, waves below'],
    },
    gpus: 1,
  });
  return ok({ pipeline, notCarried, notes });
}
