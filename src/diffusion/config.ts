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

export type SchedulerKind = 'ddpm' | 'ddim' | 'euler' | 'unipc' | 'dpmpp_2m' | 'flow_euler';

export const SCHEDULER_KINDS: readonly SchedulerKind[] = [
  'ddpm',
  'ddim',
  'euler',
  'unipc',
  'dpmpp_2m',
  'flow_euler',
];

/**
 * What a sampler's model predicts: the DDPM family's ε, v or x₀, or a flow-matching velocity ε − x₀
 * (`flow_prediction`: FlowMatchEuler always, UniPC with use_flow_sigmas).
 */
export type SamplerPrediction = PredictionType | 'flow_prediction';

/** How use_dynamic_shifting maps σ with `mu`: e^mu/(e^mu + 1/σ − 1), or mu/(mu + 1/σ − 1). */
export type TimeShiftType = 'exponential' | 'linear';

/** diffusers' class name for each kind (what `_class_name` says in a scheduler_config.json). */
export const DIFFUSERS_CLASS: Readonly<Record<SchedulerKind, string>> = {
  ddpm: 'DDPMScheduler',
  ddim: 'DDIMScheduler',
  euler: 'EulerDiscreteScheduler',
  unipc: 'UniPCMultistepScheduler',
  dpmpp_2m: 'DPMSolverMultistepScheduler',
  flow_euler: 'FlowMatchEulerDiscreteScheduler',
};

export type VarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large';
export type FinalSigmasType = 'zero' | 'sigma_min';

/** A fully resolved configuration: every field the six samplers read, with the class defaults filled in. */
export interface SchedulerConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  /** flow_prediction for flow_euler (its only value) and for UniPC with use_flow_sigmas. */
  readonly prediction_type: SamplerPrediction;
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
  /** flow_euler: the static shift σ → shift·σ/(1 + (shift − 1)·σ). */
  readonly shift: number;
  /** UniPC: flow-matching sigmas σ ∈ (0, 1], with α_t = 1 − σ and σ_t = σ. */
  readonly use_flow_sigmas: boolean;
  /** UniPC with use_flow_sigmas: the static shift (flow_euler's `shift`). */
  readonly flow_shift: number;
  /** flow_euler, UniPC with flow sigmas: shift by `mu` given to setTimesteps instead of the static shift. */
  readonly use_dynamic_shifting: boolean;
  readonly time_shift_type: TimeShiftType;
  /**
   * flow_euler: what a pipeline computes `mu` from (linear in the image sequence length between
   * (base_image_seq_len, base_shift) and (max_image_seq_len, max_shift)); the scheduler itself never reads them.
   */
  readonly base_shift: number;
  readonly max_shift: number;
  readonly base_image_seq_len: number;
  readonly max_image_seq_len: number;
  /** flow_euler, UniPC with flow sigmas: stretch the shifted σ so that the last one equals this (null: off). */
  readonly shift_terminal: number | null;
  /** flow_euler: x_next = (1 − σ_next)·x̂₀ + σ_next·noise instead of the ODE step (needs `noise`). */
  readonly stochastic_sampling: boolean;
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
/** The samplers built on a β schedule (all but flow_euler). */
const BETA_KINDS: readonly SchedulerKind[] = ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m'];
const SIGMA_KINDS: readonly SchedulerKind[] = ['euler', 'unipc', 'dpmpp_2m'];
const FLOW_KINDS: readonly SchedulerKind[] = ['flow_euler', 'unipc'];
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

const finite: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? ok(v) : err(`expected a number, got ${describe(v)}`);

const shiftTerminal: Check = (v) =>
  v === null || (typeof v === 'number' && v >= 0 && v < 1)
    ? ok(v === 0 ? null : v)
    : err(`expected null or a number in [0, 1), got ${describe(v)}`);

/** DDPM-family samplers take ε, v or x₀; UniPC also a flow velocity; flow_euler only the flow velocity. */
const predictionType: Check = (v, kind) => {
  const allowed: readonly string[] =
    kind === 'flow_euler'
      ? ['flow_prediction']
      : kind === 'unipc'
        ? [...PREDICTION_TYPES, 'flow_prediction']
        : PREDICTION_TYPES;
  return typeof v === 'string' && allowed.includes(v)
    ? ok(v)
    : err(`expected one of ${allowed.join(', ')}, got ${describe(v)}`);
};

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
  beta_start: { kinds: BETA_KINDS, check: positive, default: 0.0001 },
  beta_end: { kinds: BETA_KINDS, check: positive, default: 0.02 },
  beta_schedule: { kinds: BETA_KINDS, check: oneOf(BETA_SCHEDULES), default: 'linear' },
  trained_betas: { kinds: BETA_KINDS, check: trainedBetas, default: null },
  prediction_type: {
    kinds: ALL,
    check: predictionType,
    default: byKind({
      ddpm: 'epsilon',
      ddim: 'epsilon',
      euler: 'epsilon',
      unipc: 'epsilon',
      dpmpp_2m: 'epsilon',
      flow_euler: 'flow_prediction',
    }),
  },
  timestep_spacing: {
    kinds: BETA_KINDS,
    check: oneOf(TIMESTEP_SPACINGS),
    default: byKind({
      ddpm: 'leading',
      ddim: 'leading',
      euler: 'linspace',
      unipc: 'linspace',
      dpmpp_2m: 'linspace',
      flow_euler: 'linspace',
    }),
  },
  steps_offset: { kinds: BETA_KINDS, check: intAtLeast(0), default: 0 },
  rescale_betas_zero_snr: { kinds: BETA_KINDS, check: bool, default: false },
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
    default: byKind({
      ddpm: null,
      ddim: null,
      euler: null,
      unipc: 'bh2',
      dpmpp_2m: 'midpoint',
      flow_euler: null,
    }),
  },
  lower_order_final: { kinds: SOLVERS, check: bool, default: true },
  predict_x0: { kinds: ['unipc'], check: bool, default: true },
  disable_corrector: { kinds: ['unipc'], check: intList, default: [] },
  euler_at_final: { kinds: ['dpmpp_2m'], check: bool, default: false },
  lambda_min_clipped: { kinds: ['dpmpp_2m'], check: lambdaMin, default: -Infinity },
  shift: { kinds: ['flow_euler'], check: positive, default: 1 },
  use_flow_sigmas: { kinds: ['unipc'], check: bool, default: false },
  flow_shift: { kinds: ['unipc'], check: positive, default: 1 },
  use_dynamic_shifting: { kinds: FLOW_KINDS, check: bool, default: false },
  time_shift_type: {
    kinds: FLOW_KINDS,
    check: (v, kind) =>
      oneOf<TimeShiftType>(kind === 'unipc' ? ['exponential'] : ['exponential', 'linear'])(v, kind),
    default: 'exponential',
  },
  base_shift: { kinds: ['flow_euler'], check: finite, default: 0.5 },
  max_shift: { kinds: ['flow_euler'], check: finite, default: 1.15 },
  base_image_seq_len: { kinds: ['flow_euler'], check: intAtLeast(1), default: 256 },
  max_image_seq_len: { kinds: ['flow_euler'], check: intAtLeast(1), default: 4096 },
  shift_terminal: { kinds: FLOW_KINDS, check: shiftTerminal, default: null },
  stochastic_sampling: { kinds: ['flow_euler'], check: bool, default: false },
};

/** Keys diffusers' classes accept whose other values change the numbers in ways moe does not implement. */
const UNSUPPORTED: Readonly<Record<string, { kinds: readonly SchedulerKind[]; check: Check }>> = {
  thresholding: {
    kinds: ['ddpm', 'ddim', 'unipc', 'dpmpp_2m'],
    check: only(false, 'dynamic thresholding is not implemented'),
  },
  use_karras_sigmas: {
    kinds: [...SIGMA_KINDS, 'flow_euler'],
    check: only(false, 'Karras sigmas are not implemented'),
  },
  use_exponential_sigmas: {
    kinds: [...SIGMA_KINDS, 'flow_euler'],
    check: only(false, 'exponential sigmas are not implemented'),
  },
  use_beta_sigmas: {
    kinds: [...SIGMA_KINDS, 'flow_euler'],
    check: only(false, 'beta sigmas are not implemented'),
  },
  use_flow_sigmas: {
    kinds: ['dpmpp_2m'],
    check: only(false, 'flow-matching sigmas are implemented for UniPC and flow_euler only'),
  },
  use_lu_lambdas: { kinds: ['dpmpp_2m'], check: only(false, 'Lu lambdas are not implemented') },
  use_dynamic_shifting: {
    kinds: ['dpmpp_2m'],
    check: only(false, 'dynamic shifting is implemented for UniPC and flow_euler only'),
  },
  invert_sigmas: { kinds: ['flow_euler'], check: only(false, "Mochi's inverted sigmas are not implemented") },
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
  flow_shift: ['dpmpp_2m'],
  time_shift_type: ['dpmpp_2m'],
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
  if (issues.length === 0 && kind === 'unipc') issues.push(...uniPcFlowIssues(config));
  if (issues.length > 0) return err(issues);
  return ok({ config, ignoredKeys: ignored.sort() });
}

/**
 * UniPC's flow-matching settings only make sense together: a flow velocity needs flow sigmas (with the
 * variance-preserving σ it would be read at the wrong noise level) and data prediction (diffusers refuses
 * it otherwise); shifting by `mu` and shift_terminal act on flow sigmas only (diffusers ignores the one and
 * refuses the other without them).
 */
function uniPcFlowIssues(config: SchedulerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const needsFlow = (key: string, what: string) =>
    issues.push({ key, message: `${key}: ${what} needs use_flow_sigmas: true` });
  if (!config.use_flow_sigmas) {
    if (config.prediction_type === 'flow_prediction') needsFlow('prediction_type', 'flow_prediction');
    if (config.use_dynamic_shifting) needsFlow('use_dynamic_shifting', 'dynamic shifting');
    if (config.shift_terminal !== null) needsFlow('shift_terminal', 'shift_terminal');
  }
  if (config.prediction_type === 'flow_prediction' && !config.predict_x0) {
    issues.push({
      key: 'predict_x0',
      message:
        'predict_x0: flow_prediction needs predict_x0: true (UniPC solves for x₀ from a flow velocity)',
    });
  }
  return issues;
}
