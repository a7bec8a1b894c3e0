// Scheduler configuration in diffusers' vocabulary (the keys of a scheduler_config.json), checked at the door.
// Defaults are those of each diffusers scheduler class. Keys diffusers would not know are ignored, as
// diffusers' from_config ignores them, but returned so a caller can say so. Values moe does not implement
// (Karras sigmas, dynamic thresholding, …) are errors rather than silently different numbers.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { BetaSchedule } from './schedules.js';
import { BETA_SCHEDULES } from './schedules.js';
import type { TimestepSpacing } from './spacing.js';
import { TIMESTEP_SPACINGS } from './spacing.js';
import type { PredictionType } from './targets.js';
import { PREDICTION_TYPES } from './targets.js';

export type SchedulerKind = 'ddpm' | 'ddim' | 'euler' | 'unipc' | 'dpmpp_2m';

export const SCHEDULER_KINDS: readonly SchedulerKind[] = ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m'];

/** diffusers' class name for each kind (what `_class_name` says in a scheduler_config.json). */
export const DIFFUSERS_CLASS: Readonly<Record<SchedulerKind, string>> = {
  ddpm: 'DDPMScheduler',
  ddim: 'DDIMScheduler',
  euler: 'EulerDiscreteScheduler',
  unipc: 'UniPCMultistepScheduler',
  dpmpp_2m: 'DPMSolverMultistepScheduler',
};

export type VarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large';
export type FinalSigmasType = 'zero' | 'sigma_min';

/** A fully resolved configuration: every field the five samplers read, with the class defaults filled in. */
export interface SchedulerConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly rescale_betas_zero_snr: boolean;
  /** DDPM, DDIM: clamp the predicted x₀ to ±clip_sample_range. */
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  /** DDIM: ᾱ used past the last step: 1 when true, else ᾱ_0. */
  readonly set_alpha_to_one: boolean;
  /** DDPM's posterior variance. */
  readonly variance_type: VarianceType;
  /** Euler, UniPC, DPM-Solver++: the σ after the last step. */
  readonly final_sigmas_type: FinalSigmasType;
  /** UniPC, DPM-Solver++: 1 or 2. */
  readonly solver_order: number;
  /** UniPC: bh1 or bh2; DPM-Solver++: midpoint or heun. */
  readonly solver_type: string;
  readonly lower_order_final: boolean;
  /** UniPC: predict x₀ (data prediction) rather than ε. */
  readonly predict_x0: boolean;
  /** UniPC: step indices whose corrector is skipped. */
  readonly disable_corrector: readonly number[];
  /** DPM-Solver++: first-order last step. */
  readonly euler_at_final: boolean;
  /** DPM-Solver++: cuts off timesteps whose log-SNR λ is below this. */
  readonly lambda_min_clipped: number;
}

/** What callers pass: any subset, in diffusers' names; other keys are allowed and reported. */
export type SchedulerConfigInput = Readonly<Partial<SchedulerConfig>> & Readonly<Record<string, unknown>>;

export interface ConfigIssue {
  readonly key: string;
  readonly message: string;
}

export interface ResolvedConfig {
  readonly config: SchedulerConfig;
  /** Keys that this scheduler does not read (diffusers ignores them too), sorted. `_`-prefixed metadata is not listed. */
  readonly ignoredKeys: readonly string[];
}

const ALL = SCHEDULER_KINDS;
const SIGMA_KINDS: readonly SchedulerKind[] = ['euler', 'unipc', 'dpmpp_2m'];
const SOLVERS: readonly SchedulerKind[] = ['unipc', 'dpmpp_2m'];

type Check = (value: unknown, kind: SchedulerKind) => Result<unknown, string>;

const describe = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

const intAtLeast =
  (min: number): Check =>
  (v) =>
    isInt(v) && v >= min ? ok(v) : err(`expected an integer ≥ ${min}, got ${describe(v)}`);

const positive: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0
    ? ok(v)
    : err(`expected a number > 0, got ${describe(v)}`);

const bool: Check = (v) =>
  typeof v === 'boolean' ? ok(v) : err(`expected true or false, got ${describe(v)}`);

const oneOf =
  <T extends string>(values: readonly T[]): Check =>
  (v) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? ok(v)
      : err(`expected one of ${values.join(', ')}, got ${describe(v)}`);

/** A key diffusers knows whose only value moe implements is `expected` (features moe leaves out). */
const only =
  (expected: unknown, why: string): Check =>
  (v) =>
    v === expected || (expected === false && v === null)
      ? ok(v)
      : err(`expected ${describe(expected)} (${why}), got ${describe(v)}`);

const trainedBetas: Check = (v) => {
  if (v === null) return ok(null);
  if (Array.isArray(v) && v.length > 0 && v.every((b) => typeof b === 'number' && b >= 0 && b <= 1))
    return ok(v);
  return err(`expected null or a non-empty list of numbers in [0, 1], got ${describe(v)}`);
};

const intList: Check = (v) =>
  Array.isArray(v) && v.every((x) => isInt(x))
    ? ok(v)
    : err(`expected a list of integers, got ${describe(v)}`);

const lambdaMin: Check = (v) =>
  typeof v === 'number' && !Number.isNaN(v) ? ok(v) : err(`expected a number, got ${describe(v)}`);

/**
 * diffusers maps the other family's solver names onto its default rather than refusing them (UniPC turns
 * midpoint/heun/logrho into bh2, DPM-Solver++ turns logrho/bh1/bh2 into midpoint); so does moe.
 */
const solverType: Check = (v, kind) => {
  const own = kind === 'unipc' ? ['bh1', 'bh2'] : ['midpoint', 'heun'];
  const mapped = kind === 'unipc' ? ['midpoint', 'heun', 'logrho'] : ['logrho', 'bh1', 'bh2'];
  if (typeof v === 'string' && own.includes(v)) return ok(v);
  if (typeof v === 'string' && mapped.includes(v)) return ok(kind === 'unipc' ? 'bh2' : 'midpoint');
  return err(`expected one of ${[...own, ...mapped].join(', ')}, got ${describe(v)}`);
};

interface Field {
  readonly kinds: readonly SchedulerKind[];
  readonly check: Check;
  /** Defaults per kind where they differ, else one value. */
  readonly default: unknown;
}

const byKind = (values: Readonly<Record<SchedulerKind, unknown>>) => values;

/** Every key moe reads, with the kinds that read it and diffusers' class defaults. */
const FIELDS: Readonly<Record<keyof SchedulerConfig, Field>> = {
  num_train_timesteps: { kinds: ALL, check: intAtLeast(2), default: 1000 },
  beta_start: { kinds: ALL, check: positive, default: 0.0001 },
  beta_end: { kinds: ALL, check: positive, default: 0.02 },
  beta_schedule: { kinds: ALL, check: oneOf(BETA_SCHEDULES), default: 'linear' },
  trained_betas: { kinds: ALL, check: trainedBetas, default: null },
  prediction_type: { kinds: ALL, check: oneOf(PREDICTION_TYPES), default: 'epsilon' },
  timestep_spacing: {
    kinds: ALL,
    check: oneOf(TIMESTEP_SPACINGS),
    default: byKind({
      ddpm: 'leading',
      ddim: 'leading',
      euler: 'linspace',
      unipc: 'linspace',
      dpmpp_2m: 'linspace',
    }),
  },
  steps_offset: { kinds: ALL, check: intAtLeast(0), default: 0 },
  rescale_betas_zero_snr: { kinds: ALL, check: bool, default: false },
  clip_sample: { kinds: ['ddpm', 'ddim'], check: bool, default: true },
  clip_sample_range: { kinds: ['ddpm', 'ddim'], check: positive, default: 1 },
  set_alpha_to_one: { kinds: ['ddim'], check: bool, default: true },
  variance_type: {
    kinds: ['ddpm'],
    check: oneOf<VarianceType>(['fixed_small', 'fixed_small_log', 'fixed_large']),
    default: 'fixed_small',
  },
  final_sigmas_type: {
    kinds: SIGMA_KINDS,
    check: oneOf<FinalSigmasType>(['zero', 'sigma_min']),
    default: 'zero',
  },
  solver_order: {
    kinds: SOLVERS,
    check: (v) => (v === 1 || v === 2 ? ok(v) : err(`expected 1 or 2, got ${describe(v)}`)),
    default: 2,
  },
  solver_type: {
    kinds: SOLVERS,
    check: solverType,
    default: byKind({ ddpm: null, ddim: null, euler: null, unipc: 'bh2', dpmpp_2m: 'midpoint' }),
  },
  lower_order_final: { kinds: SOLVERS, check: bool, default: true },
  predict_x0: { kinds: ['unipc'], check: bool, default: true },
  disable_corrector: { kinds: ['unipc'], check: intList, default: [] },
  euler_at_final: { kinds: ['dpmpp_2m'], check: bool, default: false },
  lambda_min_clipped: { kinds: ['dpmpp_2m'], check: lambdaMin, default: -Infinity },
};

/** Keys diffusers' classes accept whose other values change the numbers in ways moe does not implement. */
const UNSUPPORTED: Readonly<Record<string, { kinds: readonly SchedulerKind[]; check: Check }>> = {
  thresholding: {
    kinds: ['ddpm', 'ddim', 'unipc', 'dpmpp_2m'],
    check: only(false, 'dynamic thresholding is not implemented'),
  },
  use_karras_sigmas: { kinds: SIGMA_KINDS, check: only(false, 'Karras sigmas are not implemented') },
  use_exponential_sigmas: {
    kinds: SIGMA_KINDS,
    check: only(false, 'exponential sigmas are not implemented'),
  },
  use_beta_sigmas: { kinds: SIGMA_KINDS, check: only(false, 'beta sigmas are not implemented') },
  use_flow_sigmas: {
    kinds: ['unipc', 'dpmpp_2m'],
    check: only(false, 'flow-matching sigmas are not implemented'),
  },
  use_lu_lambdas: { kinds: ['dpmpp_2m'], check: only(false, 'Lu lambdas are not implemented') },
  use_dynamic_shifting: {
    kinds: ['unipc', 'dpmpp_2m'],
    check: only(false, 'dynamic shifting is not implemented'),
  },
  timestep_type: { kinds: ['euler'], check: only('discrete', 'continuous timesteps are not implemented') },
  interpolation_type: {
    kinds: ['euler'],
    check: only('linear', 'log-linear interpolation is not implemented'),
  },
  algorithm_type: {
    kinds: ['dpmpp_2m'],
    check: only('dpmsolver++', 'this is the DPM-Solver++ 2M scheduler'),
  },
  solver_p: { kinds: ['unipc'], check: only(null, 'an external predictor is not supported') },
};

/**
 * Keys a diffusers class accepts that moe reads no differently for any value (they only matter together
 * with a feature above, e.g. σ_min/σ_max for Karras sigmas). They are not reported as ignored.
 */
const INERT: Readonly<Record<string, readonly SchedulerKind[]>> = {
  dynamic_thresholding_ratio: ['ddpm', 'ddim', 'unipc', 'dpmpp_2m'],
  sample_max_value: ['ddpm', 'ddim', 'unipc', 'dpmpp_2m'],
  sigma_min: ['euler', 'unipc'],
  sigma_max: ['euler', 'unipc'],
  shift_terminal: ['unipc'],
  flow_shift: ['unipc', 'dpmpp_2m'],
  time_shift_type: ['unipc', 'dpmpp_2m'],
};

/** Parses a scheduler kind given as a string (command line, pipeline file). */
export function parseSchedulerKind(value: unknown): Result<SchedulerKind, ConfigIssue> {
  const byClass = SCHEDULER_KINDS.find((k) => DIFFUSERS_CLASS[k] === value);
  if (byClass !== undefined) return ok(byClass);
  return typeof value === 'string' && (SCHEDULER_KINDS as readonly string[]).includes(value)
    ? ok(value as SchedulerKind)
    : err({
        key: 'scheduler',
        message: `scheduler: expected one of ${SCHEDULER_KINDS.join(', ')}, got ${describe(value)}`,
      });
}

/**
 * Checks a configuration for one scheduler kind and fills in that class's defaults. Every problem is
 * returned at once, each naming its key ("beta_schedule: expected one of …, got \"cosine\"").
 */
export function resolveSchedulerConfig(
  kind: SchedulerKind,
  input: Readonly<Record<string, unknown>>,
): Result<ResolvedConfig, readonly ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const ignored: string[] = [];
  const resolved: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(FIELDS) as [keyof SchedulerConfig, Field][]) {
    const fallback =
      typeof field.default === 'object' && field.default !== null && !Array.isArray(field.default)
        ? (field.default as Record<SchedulerKind, unknown>)[kind]
        : field.default;
    const given = Object.hasOwn(input, key) ? input[key] : undefined;
    if (given === undefined || !field.kinds.includes(kind)) {
      resolved[key] = fallback;
      continue;
    }
    const checked = field.check(given, kind);
    if (checked.ok) resolved[key] = checked.value;
    else issues.push({ key, message: `${key}: ${checked.error}` });
  }
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('_') || value === undefined) continue;
    const field = (FIELDS as Readonly<Record<string, Field>>)[key];
    const unsupported = UNSUPPORTED[key];
    if (field !== undefined && field.kinds.includes(kind)) continue;
    if (unsupported !== undefined && unsupported.kinds.includes(kind)) {
      const checked = unsupported.check(value, kind);
      if (!checked.ok) issues.push({ key, message: `${key}: ${checked.error}` });
      continue;
    }
    if (INERT[key]?.includes(kind) === true) continue;
    ignored.push(key);
  }
  const config = resolved as unknown as SchedulerConfig;
  if (issues.length === 0 && config.trained_betas === null && !(config.beta_end > config.beta_start)) {
    issues.push({
      key: 'beta_end',
      message: `beta_end: expected a value above beta_start (${config.beta_start}), got ${config.beta_end}`,
    });
  }
  if (issues.length > 0) return err(issues);
  return ok({ config, ignoredKeys: ignored.sort() });
}
