// SimpleTuner's Wan 2.2 stages (model_family wan with a staged model_flavour such as i2v-14b-2.2-high)
// → moe's flow-matching pair. Facts from SimpleTuner at commit bc8e6ab (helpers/models/wan/model.py,
// WAN_STAGE_OVERRIDES and setup_model_flavour; helpers/models/common.py, sample_flow_sigmas): a stage
// flavour fixes the boundary, and replaces flow_schedule_shift, the validation steps and guidance with the
// stage's own; training draws σ over the whole range whatever the stage (refiner_training_* steer DDPM
// timestep selection only), so moe's experts, which each train on their side, differ there by design.
import type { JsonValue } from '../../pipeline/types.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { flowPipeline } from '../flow/pipeline.js';
import type { RawOptions, RawValue, ReadConfig } from './options.js';
import { whereIs } from './options.js';
import type { ImportInput, ImportResult, NotCarried } from './to-pipeline.js';
import { convertExpert, dataset } from './to-pipeline.js';

interface WanStage {
  readonly stage: 'high' | 'low';
  readonly boundary: number;
  readonly shift: number;
  readonly steps: number;
  readonly guidance: number;
}

const stages = (boundary: number, shift: number, steps: number, guidance: number) =>
  (['high', 'low'] as const).map((stage) => ({ stage, boundary, shift, steps, guidance }));

const [I2V_HIGH, I2V_LOW] = stages(0.9, 5, 40, 3.5) as [WanStage, WanStage];
const [ANIME_HIGH, ANIME_LOW] = stages(0.875, 3, 8, 1) as [WanStage, WanStage];

/** SimpleTuner's WAN_STAGE_OVERRIDES: the staged flavours, each one expert of a pair. */
export const WAN_STAGES: Readonly<Record<string, WanStage>> = {
  'i2v-14b-2.2-high': I2V_HIGH,
  'i2v-14b-2.2-low': I2V_LOW,
  'flf2v-14b-2.2-high': I2V_HIGH,
  'flf2v-14b-2.2-low': I2V_LOW,
  'animegen-t2v-high': ANIME_HIGH,
  'animegen-t2v-low': ANIME_LOW,
};

/** Whether a config trains one stage of a Wan 2.2 pair (then it imports as flow matching). */
export function wanStageOf(o: RawOptions): WanStage | undefined {
  if (o.model_family !== 'wan' || typeof o.model_flavour !== 'string') return undefined;
  return WAN_STAGES[o.model_flavour];
}

/** Options this module reads itself; convertExpert sees the rest. */
const FLOW_KEYS = new Set([
  'model_family',
  'model_flavour',
  'prediction_type',
  'flow_schedule_shift',
  'flow_schedule_auto_shift',
  'flow_sigmoid_scale',
  'flow_use_uniform_schedule',
  'flow_use_beta_schedule',
  'flow_beta_schedule_alpha',
  'flow_beta_schedule_beta',
  'refiner_training',
  'refiner_training_strength',
  'refiner_training_invert_schedule',
  'wan_validation_load_other_stage',
  'validation_num_inference_steps',
  'validation_guidance',
  'validation_prompt',
  'validation_negative_prompt',
  'validation_resolution',
  'snr_gamma',
  'mixed_precision',
  'validation_step_interval',
  'validation_steps',
  'validation_seed',
  'validation_guidance_rescale',
  'validation_using_datasets',
]);

const DURING_TRAINING = [
  'validation_step_interval',
  'validation_steps',
  'validation_seed',
  'validation_guidance_rescale',
  'validation_using_datasets',
  'wan_validation_load_other_stage',
];

/** DDPM keys and SimpleTuner-backend keys convertExpert may write that a flow-matching builtin expert refuses. */
const NOT_FOR_FLOW = [
  'strength',
  'prediction_type',
  'zero_snr',
  'timestep_spacing',
  'validation',
  'validation_using_datasets',
  'resolution',
  'mixed_precision',
];

const bool = (v: RawValue | undefined): boolean => v === true || v === 'true';
const num = (v: RawValue | undefined): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** The σ density of one config (SimpleTuner's flow_* options), and what of them does not carry. */
function densityOf(
  cfg: ReadConfig,
  stage: WanStage,
  drop: (o: string, r: string) => void,
): Record<string, JsonValue> {
  const o = cfg.options;
  const shift = num(o.flow_schedule_shift);
  if (o.flow_schedule_shift !== undefined && shift !== stage.shift) {
    drop(
      'flow_schedule_shift',
      `SimpleTuner replaces it with the stage's flow_shift ${stage.shift} for model_flavour ${String(o.model_flavour)}`,
    );
  }
  if (bool(o.flow_schedule_auto_shift))
    drop(
      'flow_schedule_auto_shift',
      "the stage's fixed shift applies (a resolution-dependent shift has no moe counterpart)",
    );
  if (o.prediction_type !== undefined && o.prediction_type !== 'flow_matching') {
    drop('prediction_type', 'Wan is trained with flow matching');
  }
  for (const key of ['refiner_training', 'refiner_training_strength', 'refiner_training_invert_schedule']) {
    if (o[key] !== undefined)
      drop(
        key,
        'SimpleTuner reads it for DDPM timestep selection only; a Wan 2.2 stage is chosen by model_flavour',
      );
  }
  for (const key of DURING_TRAINING) {
    if (o[key] !== undefined)
      drop(
        key,
        "SimpleTuner's validation during training: moe samples the pair with compose.inference after training (Wan's hand-off, both stages)",
      );
  }
  const fixed = { validation_num_inference_steps: stage.steps, validation_guidance: stage.guidance } as const;
  for (const [key, value] of Object.entries(fixed)) {
    if (o[key] !== undefined && num(o[key]) !== value)
      drop(
        key,
        `SimpleTuner replaces it with the stage's ${value} for model_flavour ${String(o.model_flavour)}`,
      );
  }
  if (o.snr_gamma !== undefined) drop('snr_gamma', 'Min-SNR weighting belongs to the DDPM objective');
  if (o.mixed_precision !== undefined && o.mixed_precision !== 'no') {
    drop('mixed_precision', "moe's built-in trainer (the backend for flow matching) trains in fp32");
  }
  if (bool(o.flow_use_beta_schedule)) {
    for (const key of ['flow_use_beta_schedule', 'flow_beta_schedule_alpha', 'flow_beta_schedule_beta'])
      if (o[key] !== undefined) drop(key, 'moe has no Beta density for σ: the logit-normal one is used');
  }
  if (bool(o.flow_use_uniform_schedule)) {
    if (o.flow_sigmoid_scale !== undefined)
      drop('flow_sigmoid_scale', 'not read with flow_use_uniform_schedule');
    return { timestep_density: 'uniform' };
  }
  const scale = num(o.flow_sigmoid_scale) ?? 1;
  return { timestep_density: 'logit_normal', logit_mean: 0, logit_std: scale };
}

/** One stage config as an expert's `with`, every option carried or listed. */
function expertOf(cfg: ReadConfig, stage: WanStage, notCarried: NotCarried[]): Record<string, JsonValue> {
  const drop = (option: string, reason: string) =>
    notCarried.push({ file: whereIs(cfg, option), option, value: cfg.options[option] ?? '', reason });
  const density = densityOf(cfg, stage, drop);
  const rest = Object.fromEntries(Object.entries(cfg.options).filter(([k]) => !FLOW_KEYS.has(k)));
  const converted = convertExpert(
    { ...cfg, options: rest },
    stage.stage === 'high' ? 'base' : 'refiner',
    notCarried,
  );
  const w = Object.entries(converted.with).filter(([k]) => !NOT_FOR_FLOW.includes(k));
  return { ...Object.fromEntries(w), ...density };
}

/** compose.inference's settings: the stage's steps and guidance, the validation prompt and size. */
function sampling(cfg: ReadConfig, stage: WanStage) {
  const o = cfg.options;
  const m =
    typeof o.validation_resolution === 'string' ? /^(\d+)x(\d+)$/.exec(o.validation_resolution) : null;
  const res = num(o.resolution) ?? 480;
  return {
    steps: stage.steps,
    guidance: stage.guidance,
    width: m ? Number(m[1]) : res,
    height: m ? Number(m[2]) : res,
    prompts: [
      typeof o.validation_prompt === 'string'
        ? o.validation_prompt
        : 'a lighthouse on a cliff at dusk, waves below',
    ],
    ...(typeof o.validation_negative_prompt === 'string'
      ? { negativePrompt: o.validation_negative_prompt }
      : {}),
  };
}

export function wanToPipeline(input: ImportInput): Result<ImportResult, string> {
  const notes: string[] = [];
  const notCarried: NotCarried[] = [];
  const first = input.stage1;
  const stage = wanStageOf(first.options) as WanStage;
  const second = input.stage2;
  const other = second ? wanStageOf(second.options) : undefined;
  if (second && other === undefined) {
    return err(
      `${whereIs(second, 'model_flavour')}: --stage2 must train the other stage of the Wan 2.2 pair (model_family wan, model_flavour …-${stage.stage === 'high' ? 'low' : 'high'})`,
    );
  }
  if (second && other && other.stage === stage.stage) {
    return err(
      `${whereIs(second, 'model_flavour')}: both configs train the ${stage.stage}-noise stage (model_flavour ${String(second.options.model_flavour)}); --stage2 must train the other one`,
    );
  }
  if (second && other && (other.boundary !== stage.boundary || other.shift !== stage.shift)) {
    return err(
      `${whereIs(second, 'model_flavour')}: ${String(second.options.model_flavour)} is not the other stage of ${String(first.options.model_flavour)} (boundary ${other.boundary} and ${stage.boundary})`,
    );
  }
  const firstWith = expertOf(first, stage, notCarried);
  const secondWith = second ? expertOf(second, other as WanStage, notCarried) : firstWith;
  if (!second)
    notes.push(
      `no --stage2 config: the ${stage.stage === 'high' ? 'low' : 'high'}-noise expert repeats the ${stage.stage}-noise stage's settings`,
    );
  const [base, refiner] = stage.stage === 'high' ? [firstWith, secondWith] : [secondWith, firstWith];
  const data = dataset(input, notCarried, notes);
  notes.push(
    `SimpleTuner trains a Wan 2.2 stage on σ drawn over the whole range (${String(first.options.model_flavour)} only sets which transformer trains); moe trains each expert on its side of the boundary ${stage.boundary}`,
    'params.model must be an Optimum ONNX export of an SDXL-layout model (text encoders, VAE, unet/): moe trains and samples it, not the Wan transformer SimpleTuner loads',
  );
  if (first.options.mixed_precision === undefined)
    notes.push("SimpleTuner trains in bf16 by default; moe's built-in trainer in fp32");
  const densityKeys = ['timestep_density', 'logit_mean', 'logit_std', 'mode_scale'];
  const pick = (w: Record<string, JsonValue>, keep: boolean) =>
    Object.fromEntries(Object.entries(w).filter(([k]) => densityKeys.includes(k) === keep));
  const sameDensity = JSON.stringify(pick(base, true)) === JSON.stringify(pick(refiner, true));
  const pipeline = flowPipeline({
    name: input.name,
    source: 'SimpleTuner',
    base: sameDensity ? pick(base, false) : base,
    refiner: sameDensity ? pick(refiner, false) : refiner,
    boundary: stage.boundary,
    shift: stage.shift,
    density: sameDensity ? pick(base, true) : {},
    data: { path: data.path, resolution: data.resolution ?? num(first.options.resolution) ?? 480 },
    sampling: sampling(first, stage),
    gpus: Math.max(1, num(first.options.num_processes) ?? 1),
  });
  return ok({ pipeline, notCarried, notes });
}
