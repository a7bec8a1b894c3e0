/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// DDPM ancestral sampling (Ho et al. 2020, "Denoising Diffusion Probabilistic Models", eq. 6–7 and Alg. 2),
// as diffusers' DDPMScheduler steps it over a spaced subset of timesteps.
import type { CustomSchedule, Scheduler, StepOutput } from '../scheduler.js';
import { assertCustomTimesteps, assertSameLength, customScheduleRefused } from '../scheduler.js';
import { AlphaSchedule } from './alpha-schedule.js';
import type { StepInput } from './stepping.js';

export class DdpmScheduler extends AlphaSchedule implements Scheduler {
  readonly kind = 'ddpm' as const;

  /** N steps by the spacing rule, or custom descending integer timesteps (diffusers' `timesteps=`). */
  setTimesteps(schedule: number | CustomSchedule): void {
    if (typeof schedule !== 'number') {
      if (!('timesteps' in schedule)) throw customScheduleRefused('DDPMScheduler (sigmas)');
      assertCustomTimesteps(schedule.timesteps, this.config.num_train_timesteps);
      this.timesteps = Float64Array.from(schedule.timesteps, Math.trunc);
      this.numInferenceSteps = this.timesteps.length;
      return;
    }
    this.setSpacedTimesteps(schedule);
  }

  /** The next timestep of the schedule (−1 after the last); t − 1 before setTimesteps, as in diffusers. */
  previousTimestep(t: number): number {
    if (this.numInferenceSteps === undefined) return t - 1;
    const index = this.timesteps.indexOf(t);
    if (index < 0) throw new RangeError(`timestep ${t} is not in this scheduler's timesteps`);
    return index === this.timesteps.length - 1 ? -1 : this.timesteps[index + 1]!;
  }

  /**
   * With ᾱ = ᾱ_t, ᾱ' = ᾱ_{t'} (1 past the end), α = ᾱ/ᾱ', β = 1 − α:
   * x̂₀ from the prediction type (clamped to ±clip_sample_range when clip_sample), then the posterior mean
   * μ = (√ᾱ'·β/(1−ᾱ))·x̂₀ + (√α·(1−ᾱ')/(1−ᾱ))·x_t, and for t > 0 x_{t'} = μ + σ·z with the caller's z and
   * σ² = max((1−ᾱ')/(1−ᾱ)·β, 1e−20) (fixed_small; the other variance types as diffusers defines them).
   */
  protected update({ modelOutput, timestep: t, sample, options }: StepInput): StepOutput {
    const prevT = this.previousTimestep(t);
    const a = this.alphaCumprodAt(t);
    const aPrev = prevT >= 0 ? this.alphasCumprod[prevT]! : 1;
    const beta = 1 - a;
    const betaPrev = 1 - aPrev;
    const alphaStep = a / aPrev;
    const betaStep = 1 - alphaStep;
    const x0Coeff = (Math.sqrt(aPrev) * betaStep) / beta;
    const xtCoeff = (Math.sqrt(alphaStep) * betaPrev) / beta;
    let noiseScale = 0;
    if (t > 0) {
      if (options.noise === undefined)
        throw new Error(`DDPM step at t=${t} needs options.noise (a standard normal draw)`);
      assertSameLength(options.noise, sample);
      noiseScale = this.noiseScale(betaPrev, beta, betaStep);
    }
    const { prediction_type: type, clip_sample: clip, clip_sample_range: range } = this.config;
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(beta);
    const pred = new Float32Array(sample.length);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0 = type === 'epsilon' ? (x - sb * m) / sa : type === 'v_prediction' ? sa * x - sb * m : m;
      if (clip) x0 = Math.min(range, Math.max(-range, x0));
      pred[i] = x0;
      prev[i] = x0Coeff * x0 + xtCoeff * x + (noiseScale === 0 ? 0 : noiseScale * options.noise![i]!);
    }
    return { prevSample: prev, predOriginalSample: pred };
  }

  /** The standard deviation multiplying the noise, per variance_type. */
  private noiseScale(betaPrev: number, beta: number, betaStep: number): number {
    const variance = Math.max((betaPrev / beta) * betaStep, 1e-20);
    switch (this.config.variance_type) {
      case 'fixed_small':
        return Math.sqrt(variance);
      case 'fixed_small_log':
        // diffusers returns exp(½·log σ²) and multiplies the noise by it directly.
        return Math.exp(0.5 * Math.log(variance));
      case 'fixed_large':
        return Math.sqrt(betaStep);
    }
  }
}
