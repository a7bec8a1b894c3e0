/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// Euler's method on the probability-flow ODE in Karras et al.'s σ parameterisation (Karras et al. 2022,
// "Elucidating the Design Space of Diffusion-Based Generative Models", Alg. 1 without churn), as diffusers'
// EulerDiscreteScheduler steps it with discrete timesteps.
import type { SchedulerConfig } from '../config.js';
import type { CustomSchedule, Scheduler, StepOutput } from '../scheduler.js';
import { assertCustomTimesteps } from '../scheduler.js';
import { SigmaSchedule } from './sigma-schedule.js';
import type { StepInput } from './stepping.js';

const f32 = Math.fround;

export class EulerScheduler extends SigmaSchedule implements Scheduler {
  readonly kind = 'euler' as const;
  protected readonly fallbackToLastIndex = false;

  /** Before setTimesteps, σ runs down the whole training table to a final 0, as diffusers' Euler starts. */
  constructor(config: SchedulerConfig) {
    super(config);
    this.sigmas = new Float64Array(config.num_train_timesteps + 1);
    this.sigmas.set(this.trainSigmas.slice().reverse());
  }

  /**
   * σ_max for trailing and linspace spacing, √(σ_max² + 1) for leading (whose first timestep is below T−1, so
   * the noise must also cover the x_T → x_t gap, as diffusers has it).
   */
  get initNoiseSigma(): number {
    let max = 0;
    for (const s of this.sigmas) max = Math.max(max, s);
    return this.config.timestep_spacing === 'leading' ? f32(Math.sqrt(f32(f32(max * max) + 1))) : max;
  }

  /**
   * Timesteps by the scheduler's spacing rule (float32), or custom ones, with σ at each by linear
   * interpolation in the training σ table, then the final σ: 0, or σ_0 with final_sigmas_type "sigma_min".
   * Custom sigmas (N + 1 values, the last being the final σ) are used as given, and each timestep is the
   * fractional t whose log σ interpolates them in the training table (diffusers' _sigma_to_t).
   */
  setTimesteps(schedule: number | CustomSchedule): void {
    const T = this.config.num_train_timesteps;
    if (typeof schedule === 'number') {
      this.adopt(this.spaced('euler', schedule));
    } else if ('sigmas' in schedule) {
      if (schedule.sigmas.length < 2 || !schedule.sigmas.every((x) => Number.isFinite(x) && x >= 0)) {
        throw new RangeError('expected at least two custom sigmas ≥ 0 (the last is the final sigma)');
      }
      const sigmas = Float64Array.from(schedule.sigmas, f32);
      const logSigmas = this.trainSigmas.map((x) => f32(Math.log(x)));
      this.adopt(
        sigmas.subarray(0, -1).map((x) => f32(sigmaToTimestep(x, logSigmas))),
        sigmas,
      );
    } else {
      assertCustomTimesteps(schedule.timesteps, T);
      this.adopt(Float64Array.from(schedule.timesteps, f32));
    }
  }

  /** x / √(σ² + 1): the input a variance-preserving model expects. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.initStepIndex(timestep)]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return sample.map((x) => x * scale);
  }

  /**
   * x̂₀ = x − σ·ε̂ (epsilon), x̂₀ = −σ/√(σ²+1)·v̂ + x/(σ²+1) (v_prediction) or the output (sample);
   * d = (x − x̂₀)/σ; x_next = x + d·(σ_next − σ).
   */
  protected update({ modelOutput, timestep, sample }: StepInput): StepOutput {
    const index = this.initStepIndex(timestep);
    const sigma = this.sigmas[index];
    const sigmaNext = this.sigmas[index + 1];
    if (sigma === undefined || sigmaNext === undefined)
      throw new RangeError('Euler step called past the last timestep');
    const type = this.config.prediction_type;
    const vScale = -sigma / Math.sqrt(sigma * sigma + 1);
    const xScale = 1 / (sigma * sigma + 1);
    const dt = sigmaNext - sigma;
    const pred = new Float32Array(sample.length);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      const x0 = type === 'epsilon' ? x - sigma * m : type === 'v_prediction' ? m * vScale + x * xScale : m;
      pred[i] = x0;
      prev[i] = x + ((x - x0) / sigma) * dt;
    }
    this.stepIndex = index + 1;
    return { prevSample: prev, predOriginalSample: pred };
  }

  /** diffusers' Euler add_noise is x₀ + σ·ε: the variance-exploding form of the same forward process. */
  protected noiseScales(sigma: number): { readonly alpha: number; readonly sigmaT: number } {
    return { alpha: 1, sigmaT: sigma };
  }
}

/**
 * The fractional training timestep whose σ is `sigma`: linear interpolation of log σ between the two
 * neighbouring entries of the (ascending) training table, clamped to its ends (diffusers' _sigma_to_t).
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma >= logSigmas[i]!) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low]!;
  const hi = logSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}
