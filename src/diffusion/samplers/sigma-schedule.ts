/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The σ bookkeeping UniPC and DPM-Solver++ share: training σ table, inference σ's, step index, add_noise.
import type { SchedulerConfig } from '../config.js';
import { interpIndex } from '../numeric.js';
import { sigmasFromAlphasCumprod } from '../schedules.js';
import type { CustomSchedule } from '../scheduler.js';
import {
  alphaSigmaFromSigma,
  assertCustomTimesteps,
  assertSameLength,
  assertStepCount,
  customScheduleRefused,
  indexForTimestep,
} from '../scheduler.js';
import { spacedTimesteps } from '../spacing.js';
import { velocity } from '../targets.js';
import type { PredictionType } from '../targets.js';
import { noiseScheduleOf } from './common.js';

const f32 = Math.fround;

/** State and lookups common to the multistep solvers; each solver adds its own history and update rule. */
export abstract class SigmaSchedule {
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ_t for every training timestep (ascending t), float32. */
  readonly trainSigmas: Float64Array;
  timesteps: Float64Array;
  sigmas: Float64Array;
  numInferenceSteps: number | undefined;
  stepIndex: number | undefined;
  beginIndex: number | undefined;

  constructor(readonly config: SchedulerConfig) {
    const schedule = noiseScheduleOf(config, true);
    this.betas = schedule.betas;
    this.alphas = schedule.alphas;
    this.alphasCumprod = schedule.alphasCumprod;
    this.trainSigmas = sigmasFromAlphasCumprod(schedule.alphasCumprod);
    const T = config.num_train_timesteps;
    this.timesteps = Float64Array.from({ length: T }, (_, i) => T - 1 - i);
    this.sigmas = Float64Array.from(this.trainSigmas);
  }

  /** The top of the timestep range (DPM-Solver++ can clip it by log-SNR). */
  protected lastTimestep(): number {
    return this.config.num_train_timesteps;
  }

  /** Clears the solver's history; called by setTimesteps. */
  protected abstract resetHistory(): void;

  /** diffusers' class name, for messages. */
  protected abstract readonly className: string;

  /** Whether set_timesteps takes custom timesteps (DPM-Solver++ does, UniPC does not). */
  protected abstract readonly acceptsCustomTimesteps: boolean;

  /**
   * Integer timesteps by the multistep spacing rule (N+1 points, last dropped, for leading and linspace),
   * or custom ones where accepted, σ by linear interpolation in the training table, then the final σ
   * (0, or σ_0 for "sigma_min").
   */
  setTimesteps(schedule: number | CustomSchedule): void {
    const T = this.config.num_train_timesteps;
    if (typeof schedule === 'number') {
      assertStepCount(schedule, T);
      this.timesteps = spacedTimesteps('multistep', {
        numTrainTimesteps: T,
        numInferenceSteps: schedule,
        spacing: this.config.timestep_spacing,
        stepsOffset: this.config.steps_offset,
        lastTimestep: this.lastTimestep(),
      });
    } else {
      if (!this.acceptsCustomTimesteps || !('timesteps' in schedule))
        throw customScheduleRefused(this.className);
      assertCustomTimesteps(schedule.timesteps, T);
      this.timesteps = Float64Array.from(schedule.timesteps, Math.trunc);
    }
    this.numInferenceSteps = this.timesteps.length;
    const sigmas = new Float64Array(this.timesteps.length + 1);
    this.timesteps.forEach((t, i) => (sigmas[i] = f32(interpIndex(t, this.trainSigmas))));
    sigmas[this.timesteps.length] = this.config.final_sigmas_type === 'sigma_min' ? this.trainSigmas[0]! : 0;
    this.sigmas = sigmas;
    this.stepIndex = undefined;
    this.beginIndex = undefined;
    this.resetHistory();
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  protected initStepIndex(timestep: number): number {
    this.stepIndex ??= this.beginIndex ?? indexForTimestep(this.timesteps, timestep, true);
    return this.stepIndex;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /**
   * The data prediction x̂₀ at σ = sigmas[index] (α_t = 1/√(σ²+1), σ_t = σ·α_t):
   * ε → (x − σ_t·ε̂)/α_t; v → α_t·x − σ_t·v̂; sample → the output.
   */
  protected dataPrediction(
    type: PredictionType,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
  ): Float64Array {
    const { alpha, sigmaT } = alphaSigmaFromSigma(this.sigmas[index]!);
    const out = new Float64Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      out[i] =
        type === 'epsilon' ? (x - sigmaT * m) / alpha : type === 'v_prediction' ? alpha * x - sigmaT * m : m;
    }
    return out;
  }

  /** α_t·x₀ + σ_t·ε with σ at each timestep's place in the inference schedule (diffusers' add_noise). */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    assertSameLength(noise, original);
    const batch = timesteps.length;
    const per = original.length / batch;
    const out = new Float32Array(original.length);
    for (let b = 0; b < batch; b++) {
      const index =
        this.beginIndex === undefined
          ? indexForTimestep(this.timesteps, timesteps[b]!, true)
          : (this.stepIndex ?? this.beginIndex);
      const { alpha, sigmaT } = alphaSigmaFromSigma(this.sigmas[index]!);
      for (let i = b * per; i < (b + 1) * per; i++) out[i] = alpha * original[i]! + sigmaT * noise[i]!;
    }
    return out;
  }

  getVelocity(sample: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    return velocity(sample, noise, this.alphasCumprod, timesteps);
  }
}
