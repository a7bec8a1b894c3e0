// What the five samplers share: building their schedule from a resolved config.
import type { SchedulerConfig } from '../config.js';
import type { NoiseSchedule } from '../schedules.js';
import { clampTerminalAlphaCumprod, makeNoiseSchedule } from '../schedules.js';

/**
 * β, α and ᾱ for a config. `clampTerminal`: Euler, UniPC and DPM-Solver++ replace a zero ᾱ_{T−1} by 2^-24
 * under zero-terminal SNR; DDPM and DDIM keep the 0.
 */
export function noiseScheduleOf(config: SchedulerConfig, clampTerminal: boolean): NoiseSchedule {
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
