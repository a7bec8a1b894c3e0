/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// describeSplit: what a two-expert setup does at inference and in training, as one plain record.
// `moe schedule` prints it; pipelines and tests call it directly.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { SamplerPrediction, SchedulerConfig, SchedulerKind } from './config.js';
import { DIFFUSERS_CLASS } from './config.js';
import { createScheduler } from './create.js';
import type { TimestepRange } from './experts.js';
import { expertRange } from './experts.js';
import type { SplitSchedule } from './handoff.js';
import { splitTimesteps } from './handoff.js';
import type { TimestepSpacing } from './spacing.js';
import type { PredictionType } from './targets.js';

/**
 * The scheduler config of SDXL and SSD-1B checkpoints (their scheduler_config.json), the starting point
 * describeSplit overrides.
 */
export const SDXL_SCHEDULER_CONFIG: Readonly<Record<string, unknown>> = {
  num_train_timesteps: 1000,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  steps_offset: 1,
  timestep_spacing: 'leading',
  prediction_type: 'epsilon',
  clip_sample: false,
  set_alpha_to_one: false,
};

export interface DescribeSplitOptions {
  readonly scheduler: SchedulerKind | string;
  readonly steps: number;
  /** Default: the base config's (SDXL: leading). */
  readonly spacing?: TimestepSpacing | string;
  readonly zeroSnr?: boolean;
  readonly predictionType?: PredictionType | string;
  /** The inference hand-off fraction (denoising_end of the base). Default 1 − strength, or 0.65. */
  readonly split?: number;
  /** The refiner training strength s. Default 1 − split. */
  readonly strength?: number;
  /** Scheduler config to start from (diffusers' keys). Default {@link SDXL_SCHEDULER_CONFIG}. */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface StagePlan {
  /** Timesteps the expert's UNet is called at, in order. */
  readonly timesteps: readonly number[];
  /** σ at each of those timesteps (Euler, UniPC, DPM-Solver++), and the σ the stage ends at. */
  readonly sigmas?: readonly number[];
  readonly endSigma?: number;
  /** Index into the full schedule where the stage starts (the refiner's set_begin_index). */
  readonly beginIndex: number;
  /** The timesteps the expert is trained on at this strength. */
  readonly training: TimestepRange;
}

export interface SplitDescription {
  readonly scheduler: SchedulerKind;
  readonly diffusersClass: string;
  readonly steps: number;
  readonly spacing: TimestepSpacing;
  readonly zeroSnr: boolean;
  readonly predictionType: SamplerPrediction;
  readonly split: number;
  readonly strength: number;
  /** Base runs t ≥ cutoff, refiner t < cutoff. */
  readonly cutoff: number;
  readonly initNoiseSigma: number;
  readonly base: StagePlan;
  readonly refiner: StagePlan;
  /** Advice where the setup departs from what the method or diffusers expects. */
  readonly warnings: readonly string[];
}

/**
 * Lays out a split-schedule setup: the full inference schedule, the part each expert runs (the SDXL
 * hand-off), σ where the sampler defines it, and each expert's training range for the strength.
 * Every invalid option is reported at once as a message naming it.
 */
export function describeSplit(options: DescribeSplitOptions): Result<SplitDescription, readonly string[]> {
  const problems: string[] = [];
  const split = options.split ?? (options.strength !== undefined ? 1 - options.strength : 0.65);
  // 1 − split to 12 digits: 1 − 0.9999 reads 0.0001, not 0.00009999999999998899.
  const strength = options.strength ?? Number((1 - split).toPrecision(12));
  const config: Record<string, unknown> = { ...(options.config ?? SDXL_SCHEDULER_CONFIG) };
  if (options.spacing !== undefined) config['timestep_spacing'] = options.spacing;
  if (options.zeroSnr !== undefined) config['rescale_betas_zero_snr'] = options.zeroSnr;
  if (options.predictionType !== undefined) config['prediction_type'] = options.predictionType;
  const made = createScheduler(options.scheduler, config);
  if (!made.ok) problems.push(...made.error.map((issue) => issue.message));
  const T = typeof config['num_train_timesteps'] === 'number' ? config['num_train_timesteps'] : 1000;
  if (!Number.isInteger(options.steps) || options.steps < 1 || options.steps > T) {
    problems.push(`steps: expected an integer in 1..${T}, got ${String(options.steps)}`);
  }
  const badSplit = options.split !== undefined && !(options.split > 0 && options.split < 1);
  if (badSplit)
    problems.push(`split: expected a number strictly between 0 and 1, got ${String(options.split)}`);
  const baseRange = expertRange('base', strength, T);
  const refinerRange = expertRange('refiner', strength, T);
  // A strength worked out from a bad split is not a second mistake; from a good one, it is the split's.
  const fromSplit = options.strength === undefined && options.split !== undefined;
  if (!baseRange.ok && !(badSplit && options.strength === undefined))
    problems.push(fromSplit ? `split: ${split} means ${baseRange.error}` : baseRange.error);
  if (!made.ok || problems.length > 0 || !baseRange.ok || !refinerRange.ok) return err(problems);
  const scheduler = made.value.scheduler;
  scheduler.setTimesteps(options.steps);
  const parts = splitTimesteps(scheduler.timesteps, split, { numTrainTimesteps: T, order: scheduler.order });
  if (!parts.ok) return err([parts.error]);
  const sigmas = scheduler.sigmas;
  const stage = (from: number, to: number, training: TimestepRange): StagePlan => ({
    timesteps: Array.from(scheduler.timesteps.subarray(from, to)),
    ...(sigmas === undefined ? {} : { sigmas: Array.from(sigmas.subarray(from, to)), endSigma: sigmas[to]! }),
    beginIndex: from,
    training,
  });
  const n = scheduler.timesteps.length;
  const { config: resolved } = scheduler;
  return ok({
    scheduler: scheduler.kind,
    diffusersClass: DIFFUSERS_CLASS[scheduler.kind],
    steps: options.steps,
    spacing: resolved.timestep_spacing,
    zeroSnr: resolved.rescale_betas_zero_snr,
    predictionType: resolved.prediction_type,
    split,
    strength,
    cutoff: parts.value.cutoff,
    initNoiseSigma: scheduler.initNoiseSigma,
    base: stage(0, parts.value.stage1.length, baseRange.value),
    refiner: stage(parts.value.beginIndex, n, refinerRange.value),
    warnings: adviceFor(scheduler.kind, resolved, parts.value, refinerRange.value, { split, strength, T }),
  });
}

/** Notes where a setup departs from what the method (Lin et al. 2023, SimpleTuner) or diffusers expects. */
function adviceFor(
  kind: SchedulerKind,
  config: SchedulerConfig,
  parts: SplitSchedule,
  refiner: TimestepRange,
  given: { readonly split: number; readonly strength: number; readonly T: number },
): string[] {
  const out: string[] = [];
  const { cutoff } = parts;
  const zeroSnr = config.rescale_betas_zero_snr;
  if (refiner.max + 1 !== cutoff) {
    // Already 1 − strength: the strength falls between two timesteps, which training truncates (int) and
    // the hand-off rounds; only a strength on the grid meets.
    const onGrid = Math.abs(given.split - (1 - given.strength)) < 1e-9;
    out.push(
      `the refiner is trained on ${refiner.min}..${refiner.max} but runs below t=${cutoff} at inference: ${
        onGrid
          ? `strength ${given.strength} falls between two timesteps; use strength ${(refiner.max + 1) / given.T}`
          : 'use split = 1 − strength'
      }`,
    );
  }
  if (zeroSnr && config.timestep_spacing !== 'trailing') {
    out.push(
      `zero-terminal SNR with ${config.timestep_spacing} spacing never samples t=999, where SNR is 0: use trailing`,
    );
  }
  if (zeroSnr && config.prediction_type === 'epsilon') {
    out.push(
      'epsilon prediction cannot denoise at SNR 0 (x₀ = (x − ε)/0): use v_prediction with zero-terminal SNR',
    );
  }
  if (parts.stage1.length === 0 || parts.stage2.length === 0) {
    out.push(
      `with this split and step count the ${parts.stage1.length === 0 ? 'base' : 'refiner'} runs no steps`,
    );
  }
  if (kind === 'unipc' || kind === 'dpmpp_2m') {
    out.push(
      'multistep solvers restart their history at the hand-off, so a split run differs slightly from a single run',
    );
  }
  return out;
}
