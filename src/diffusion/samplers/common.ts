// What the five samplers share: the training tables built from a resolved config, the full timestep list a
// fresh sampler holds, spacing by the config's rule, and the velocity target.
import type { SchedulerConfig } from '../config.js';
import type { NoiseSchedule } from '../schedules.js';
import { clampTerminalAlphaCumprod, makeNoiseSchedule } from '../schedules.js';
import { assertStepCount } from '../scheduler.js';
import type { SpacingRule } from '../spacing.js';
import { spacedTimesteps } from '../spacing.js';
import { velocity } from '../targets.js';
import { SteppedSampler } from './stepping.js';

/**
 * β, α and ᾱ for a config. `clampTerminal`: Euler, UniPC and DPM-Solver++ replace a zero ᾱ_{T−1} by 2^-24
 * under zero-terminal SNR; DDPM and DDIM keep the 0.
 */
function noiseScheduleOf(config: SchedulerConfig, clampTerminal: boolean): NoiseSchedule {
  const schedule = makeNoiseSchedule({
    numTrainTimesteps: config.num_train_timesteps,
    betaStart: config.beta_start,
    betaEnd: config.beta_end,
    betaSchedule: config.beta_schedule,
    trainedBetas: config.trained_betas ?? undefined,
    rescaleBetasZeroSnr: config.rescale_betas_zero_snr,
  });
  if (!clampTerminal) return schedule;
  return {
    ...schedule,
    alphasCumprod: clampTerminalAlphaCumprod(schedule.alphasCumprod, config.rescale_betas_zero_snr),
  };
}

/** The base of every sampler: its config, training tables and timesteps (all T of them, descending, until set). */
export abstract class TrainedSchedule extends SteppedSampler {
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphasCumprod: Float64Array;
  timesteps: Float64Array;
  numInferenceSteps: number | undefined;

  /** `clampTerminal`: see noiseScheduleOf. */
  protected constructor(
    readonly config: SchedulerConfig,
    clampTerminal: boolean,
  ) {
    super();
    const schedule = noiseScheduleOf(config, clampTerminal);
    this.betas = schedule.betas;
    this.alphas = schedule.alphas;
    this.alphasCumprod = schedule.alphasCumprod;
    const T = config.num_train_timesteps;
    this.timesteps = Float64Array.from({ length: T }, (_, i) => T - 1 - i);
  }

  /**
   * N inference timesteps by the config's spacing and offset under a sampler family's rule; throws a
   * RangeError unless N is in 1..T. `lastTimestep` caps the range for the multistep rule.
   */
  protected spaced(rule: SpacingRule, numInferenceSteps: number, lastTimestep?: number): Float64Array {
    assertStepCount(numInferenceSteps, this.config.num_train_timesteps);
    return spacedTimesteps(rule, {
      numTrainTimesteps: this.config.num_train_timesteps,
      numInferenceSteps,
      spacing: this.config.timestep_spacing,
      stepsOffset: this.config.steps_offset,
      ...(lastTimestep === undefined ? {} : { lastTimestep }),
    });
  }

  /**
   * v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ with ᾱ_t looked up by the timestep t itself, for every sampler. diffusers'
   * EulerDiscreteScheduler.get_velocity looks ᾱ up by t's position in the inference schedule instead (for
   * t = 901 in a 10-step schedule it uses ᾱ_0), which is a bug; this agrees with DDPM's get_velocity.
   */
  getVelocity(sample: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    return velocity(sample, noise, this.alphasCumprod, timesteps);
  }
}
