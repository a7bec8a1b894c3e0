/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12 and 16), as diffusers'
// DDIMScheduler steps it.
import type { SchedulerConfig } from '../config.js';
import type { CustomSchedule, Scheduler, StepOutput } from '../scheduler.js';
import { assertSameLength, customScheduleRefused } from '../scheduler.js';
import { ddimPreviousTimestep } from '../spacing.js';
import { AlphaSchedule } from './alpha-schedule.js';
import type { StepInput } from './stepping.js';

export class DdimScheduler extends AlphaSchedule implements Scheduler {
  readonly kind = 'ddim' as const;
  /** ᾱ after the last step: 1 with set_alpha_to_one, else ᾱ_0. */
  readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    super(config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(schedule: number | CustomSchedule): void {
    if (typeof schedule !== 'number') throw customScheduleRefused('DDIMScheduler');
    this.setSpacedTimesteps(schedule);
  }

  /**
   * With ᾱ = ᾱ_t, ᾱ' = ᾱ_{t − ⌊T/N⌋} (finalAlphaCumprod past the start of the schedule):
   * x̂₀ and ε̂ from the prediction type (x̂₀ clamped when clip_sample; ε̂ is not recomputed from the clamped
   * x̂₀, as diffusers' default use_clipped_model_output=false), σ = η·√((1−ᾱ')/(1−ᾱ)·(1 − ᾱ/ᾱ')), and
   * x_{t'} = √ᾱ'·x̂₀ + √(1 − ᾱ' − σ²)·ε̂ + σ·z.
   * One deliberate difference: when 1 − ᾱ' − σ² is a rounding residue below zero (η = 1 at a zero-SNR
   * t = T−1, where it is exactly 0 in exact arithmetic), diffusers takes the square root of a negative number
   * and the whole sample becomes NaN; here it is clamped to 0.
   */
  protected update({ modelOutput, timestep: t, sample, options }: StepInput): StepOutput {
    if (this.numInferenceSteps === undefined) throw new Error('DDIM step called before setTimesteps');
    const eta = options.eta ?? 0;
    const prevT = ddimPreviousTimestep(t, this.config.num_train_timesteps, this.numInferenceSteps);
    const a = this.alphaCumprodAt(t);
    const aPrev = prevT >= 0 ? this.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const beta = 1 - a;
    const variance = ((1 - aPrev) / beta) * (1 - a / aPrev);
    const std = eta * Math.sqrt(variance);
    const direction = Math.sqrt(Math.max(0, 1 - aPrev - std * std));
    const noise = options.noise;
    if (eta > 0) {
      if (noise === undefined)
        throw new Error(`DDIM step with eta=${eta} needs options.noise (a standard normal draw)`);
      assertSameLength(noise, sample);
    }
    const { prediction_type: type, clip_sample: clip, clip_sample_range: range } = this.config;
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(beta);
    const saPrev = Math.sqrt(aPrev);
    const pred = new Float32Array(sample.length);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      if (type === 'epsilon') {
        x0 = (x - sb * m) / sa;
        eps = m;
      } else if (type === 'v_prediction') {
        x0 = sa * x - sb * m;
        eps = sa * m + sb * x;
      } else {
        x0 = m;
        eps = (x - sa * m) / sb;
      }
      if (clip) x0 = Math.min(range, Math.max(-range, x0));
      pred[i] = x0;
      prev[i] = saPrev * x0 + direction * eps + (eta > 0 ? std * noise![i]! : 0);
    }
    return { prevSample: prev, predOriginalSample: pred };
  }
}
