/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The σ bookkeeping Euler, UniPC and DPM-Solver++ share: the training σ table, σ at each inference timestep,
// the step index, and add_noise at a timestep's place in the schedule.
import type { SchedulerConfig } from '../config.js';
import { interpIndex } from '../numeric.js';
import { sigmasFromAlphasCumprod } from '../schedules.js';
import { indexForTimestep } from '../scheduler.js';
import { TrainedSchedule } from './common.js';
import { noiseEachSample, noiseIndex } from './stepping.js';

const f32 = Math.fround;

export abstract class SigmaSchedule extends TrainedSchedule {
  /** σ_t = √((1 − ᾱ_t)/ᾱ_t) for every training timestep (ascending t), float32. */
  readonly trainSigmas: Float64Array;
  /** σ at each timestep, then the final σ (length N + 1) once set. */
  sigmas: Float64Array;
  stepIndex: number | undefined;
  beginIndex: number | undefined;

  /** Whether a timestep absent from the schedule means its last index (UniPC, DPM-Solver++) or an error (Euler). */
  protected abstract readonly fallbackToLastIndex: boolean;

  /** The scales of x₀ and ε in add_noise at σ: (α_t, σ_t) for the variance-preserving solvers, (1, σ) for Euler. */
  protected abstract noiseScales(sigma: number): { readonly alpha: number; readonly sigmaT: number };

  /** ᾱ_{T−1} = 0 (zero-terminal SNR) is clamped to 2^-24 so that σ stays finite, as diffusers does. */
  constructor(config: SchedulerConfig) {
    super(config, true);
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);
    this.sigmas = Float64Array.from(this.trainSigmas);
  }

  /**
   * Takes a new schedule and clears the step index. σ defaults to linear interpolation at each timestep in the
   * training table, then the final σ: 0, or σ_0 with final_sigmas_type "sigma_min".
   */
  protected adopt(timesteps: Float64Array, sigmas: Float64Array = this.sigmasAt(timesteps)): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = timesteps.length;
    this.stepIndex = undefined;
    this.beginIndex = undefined;
  }

  private sigmasAt(timesteps: Float64Array): Float64Array {
    const n = timesteps.length;
    const sigmas = new Float64Array(n + 1);
    timesteps.forEach((t, i) => (sigmas[i] = f32(interpIndex(t, this.trainSigmas))));
    sigmas[n] = this.config.final_sigmas_type === 'sigma_min' ? this.trainSigmas[0]! : 0;
    return sigmas;
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  protected initStepIndex(timestep: number): number {
    this.stepIndex ??=
      this.beginIndex ?? indexForTimestep(this.timesteps, timestep, this.fallbackToLastIndex);
    return this.stepIndex;
  }

  /** a·x₀ + s·ε with (a, s) = noiseScales(σ) and σ at each timestep's place in the schedule (diffusers' add_noise). */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    return noiseEachSample(original, noise, timesteps, (t) =>
      this.noiseScales(this.sigmas[noiseIndex(this, t, this.fallbackToLastIndex)]!),
    );
  }
}
