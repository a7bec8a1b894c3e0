/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The contract every sampler implements: diffusers' scheduler interface, in moe's types.
import type { SchedulerConfig, SchedulerKind } from './config.js';

export interface StepOptions {
  /**
   * Gaussian noise for a stochastic step (DDPM at t > 0, DDIM with eta > 0), same length as the sample. The
   * caller draws it, so runs are reproducible and the sampler holds no random state.
   */
  readonly noise?: Float32Array;
  /** DDIM only: the η of Song et al. 2021 (0 = deterministic DDIM, 1 = DDPM-like). Default 0. */
  readonly eta?: number;
}

export interface StepOutput {
  /** x_{t−1}: the sample after this step. */
  readonly prevSample: Float32Array;
  /** The model's estimate of x₀ at this step, where the sampler forms one (not UniPC, DPM-Solver++). */
  readonly predOriginalSample?: Float32Array;
}

/**
 * A schedule given explicitly instead of by step count, as diffusers' `set_timesteps(timesteps=…)` (DDPM,
 * Euler, DPM-Solver++) and `set_timesteps(sigmas=…)` (Euler) take it.
 */
export type CustomSchedule =
  { readonly timesteps: readonly number[] } | { readonly sigmas: readonly number[] };

/** What diffusers' set_timesteps takes besides the schedule. */
export interface SetTimestepsOptions {
  /**
   * The shift exponent of use_dynamic_shifting (flow_euler, UniPC with flow sigmas): σ → e^mu/(e^mu + 1/σ − 1).
   * Required there, ignored by samplers without dynamic shifting (as diffusers ignores it).
   */
  readonly mu?: number;
}

export interface Scheduler {
  readonly kind: SchedulerKind;
  readonly config: SchedulerConfig;
  /**
   * diffusers' class attribute `order`: how many model evaluations one step takes. 1 for all five samplers
   * here (UniPC and DPM-Solver++ are multistep, not multi-evaluation); the SDXL img2img hand-off reads it.
   */
  readonly order: number;
  /** The β schedule's tables; undefined for flow_euler (flow matching has no β schedule). */
  readonly betas: Float64Array | undefined;
  readonly alphas: Float64Array | undefined;
  /** ᾱ as this scheduler uses it (Euler, UniPC, DPM-Solver++ clamp a zero terminal value to 2^-24). */
  readonly alphasCumprod: Float64Array | undefined;
  /** The timesteps `step` expects, in order (descending). Float32 values for Euler and flow_euler, integers otherwise. */
  readonly timesteps: Float64Array;
  /**
   * σ per timestep plus the final σ (length N + 1) for Euler, UniPC, DPM-Solver++ and flow_euler (where σ is
   * the flow-matching noise fraction in [0, 1]); undefined otherwise.
   */
  readonly sigmas: Float64Array | undefined;
  /** Scale of the initial noise: 1, or Euler's σ_max (√(σ_max² + 1) with leading spacing). */
  readonly initNoiseSigma: number;
  readonly numInferenceSteps: number | undefined;
  /** Index of the next step into `timesteps` (samplers that track one), once sampling has begun. */
  readonly stepIndex: number | undefined;
  readonly beginIndex: number | undefined;
  /**
   * Chooses N inference timesteps (diffusers' set_timesteps) and resets the sampler's state. A custom
   * schedule throws a RangeError on samplers for which diffusers refuses one (DDIM, UniPC); so does a
   * missing `mu` under use_dynamic_shifting.
   */
  setTimesteps(schedule: number | CustomSchedule, options?: SetTimestepsOptions): void;
  /** Where in `timesteps` sampling starts (an img2img / refiner stage starts part-way). */
  setBeginIndex(beginIndex: number): void;
  /** The model input for a sample at timestep t (Euler divides by √(σ² + 1); the others return it as is). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** One reverse step from timestep t, given the model's output there. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, options?: StepOptions): StepOutput;
  /** Noises clean samples to the given timesteps as this sampler defines it (img2img's starting point). */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array;
  /**
   * v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ with ᾱ looked up by timestep (see docs on Euler's get_velocity bug); for
   * flow_euler the flow-matching velocity ε − x₀ (its training target, the same at every timestep).
   */
  getVelocity(sample: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array;
}

/** Throws unless the model output and the sample have the same length (a programming error). */
export function assertSameLength(modelOutput: Float32Array, sample: Float32Array): void {
  if (modelOutput.length !== sample.length) {
    throw new RangeError(
      `expected the model output and the sample to have the same length, got ${modelOutput.length} and ${sample.length}`,
    );
  }
}

/** Throws unless N is a valid number of inference steps for T training steps. */
export function assertStepCount(numInferenceSteps: number, numTrainTimesteps: number): void {
  if (
    !Number.isInteger(numInferenceSteps) ||
    numInferenceSteps < 1 ||
    numInferenceSteps > numTrainTimesteps
  ) {
    throw new RangeError(
      `expected a number of inference steps in 1..${numTrainTimesteps}, got ${numInferenceSteps}`,
    );
  }
}

/** Throws unless custom timesteps are strictly descending integers-or-floats in [0, T), as diffusers requires. */
export function assertCustomTimesteps(timesteps: readonly number[], numTrainTimesteps: number): void {
  if (timesteps.length === 0) throw new RangeError('expected at least one custom timestep');
  timesteps.forEach((t, i) => {
    if (!(Number.isFinite(t) && t >= 0 && t < numTrainTimesteps)) {
      throw new RangeError(`expected custom timesteps in [0, ${numTrainTimesteps}), got ${t}`);
    }
    if (i > 0 && t >= timesteps[i - 1]!)
      throw new RangeError('expected custom timesteps in descending order');
  });
}

/** The error diffusers raises when a scheduler's set_timesteps takes no custom schedule. */
export function customScheduleRefused(className: string): RangeError {
  return new RangeError(
    `${className} takes a number of steps, not custom timesteps or sigmas (as in diffusers)`,
  );
}

/**
 * diffusers' index_for_timestep: the position of t in the schedule; when t occurs twice, the second one (so
 * that a schedule starting in its middle does not skip a sigma). When t is absent, UniPC and DPM-Solver++ use
 * the last index; Euler has no such fallback and this throws.
 */
export function indexForTimestep(timesteps: Float64Array, t: number, fallbackToLast: boolean): number {
  const found: number[] = [];
  for (let i = 0; i < timesteps.length && found.length < 2; i++)
    if (timesteps[i] === Math.fround(t)) found.push(i);
  if (found.length === 0) {
    if (fallbackToLast) return timesteps.length - 1;
    throw new RangeError(`timestep ${t} is not in this scheduler's timesteps`);
  }
  return found.length > 1 ? found[1]! : found[0]!;
}

/** A view of α_t = 1/√(σ² + 1) and σ_t = σ·α_t for a Karras σ (variance-preserving form). */
export function alphaSigmaFromSigma(sigma: number): { alpha: number; sigmaT: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigmaT: sigma * alpha };
}

/** Log-SNR half: λ = log α_t − log σ_t (+∞ at σ = 0). */
export function lambdaFromSigma(sigma: number): number {
  const { alpha, sigmaT } = alphaSigmaFromSigma(sigma);
  return Math.log(alpha) - Math.log(sigmaT);
}
