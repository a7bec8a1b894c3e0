// What DDPM and DDIM share: both look ᾱ up by the timestep itself at every step, so they keep no step index
// and no σ table, take x_t as the model input unscaled, and noise by the forward process.
import type { SchedulerConfig } from '../config.js';
import { addNoise } from '../targets.js';
import { TrainedSchedule } from './common.js';

export abstract class AlphaSchedule extends TrainedSchedule {
  readonly sigmas = undefined;
  readonly initNoiseSigma = 1;
  readonly stepIndex = undefined;
  readonly beginIndex = undefined;

  /** ᾱ_{T−1} stays as computed, 0 under zero-terminal SNR (diffusers clamps it only for the σ samplers). */
  constructor(config: SchedulerConfig) {
    super(config, false);
  }

  /** N timesteps by the single-step spacing rule (throws a RangeError unless N is in 1..T). */
  protected setSpacedTimesteps(numInferenceSteps: number): void {
    this.timesteps = this.spaced('single', numInferenceSteps);
    this.numInferenceSteps = numInferenceSteps;
  }

  /** ᾱ_t; a RangeError for a t outside the training table. */
  protected alphaCumprodAt(t: number): number {
    const a = this.alphasCumprod[t];
    if (a === undefined) throw new RangeError(`timestep ${t} is outside 0..${this.alphasCumprod.length - 1}`);
    return a;
  }

  /** Every step finds its place from t, so a begin index changes nothing. */
  setBeginIndex(_beginIndex: number): void {
    return;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε (diffusers' DDPM add_noise; DDIM's is identical). */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    return addNoise(original, noise, this.alphasCumprod, timesteps);
  }
}
