/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The σ transforms flow-matching samplers share (FlowMatchEulerDiscreteScheduler, UniPC with use_flow_sigmas):
// σ is the fraction of noise in x_t = (1 − σ)·x₀ + σ·ε, and a shift moves the schedule toward high noise.
import type { SchedulerConfig, TimeShiftType } from '../config.js';

/** Per-value rounding: `Math.fround` where diffusers works on a float32 array, identity for float64. */
export type Rounding = (x: number) => number;

export const float64: Rounding = (x) => x;

/** The static shift: σ → s·σ / (1 + (s − 1)·σ). It fixes 0 and 1 and, for s > 1, raises every σ between. */
export function shiftSigma(shift: number, sigma: number, r: Rounding = float64): number {
  return r(r(r(shift) * sigma) / r(1 + r(r(shift - 1) * sigma)));
}

/**
 * The dynamic shift by `mu`: σ → e^mu / (e^mu + (1/σ − 1)) (exponential), or mu / (mu + (1/σ − 1)) (linear).
 * The exponential form is the static shift with s = e^mu.
 */
export function timeShift(type: TimeShiftType, mu: number, sigma: number, r: Rounding = float64): number {
  const m = r(type === 'exponential' ? Math.exp(mu) : mu);
  return r(m / r(m + r(r(1 / sigma) - 1)));
}

/**
 * Stretches a shifted schedule so that its last σ is `terminal` (LTX-Video's shift_terminal): with
 * z = 1 − σ and k = z_last / (1 − terminal), σ → 1 − z/k.
 */
export function stretchToTerminal(sigmas: Float64Array, terminal: number, r: Rounding = float64): void {
  const scale = r(r(1 - sigmas[sigmas.length - 1]!) / r(1 - terminal));
  for (let i = 0; i < sigmas.length; i++) sigmas[i] = r(1 - r(r(1 - sigmas[i]!) / scale));
}

/** The shift settings of one flow-matching sampler, read from its config. */
export interface FlowShift {
  /** The static shift (flow_euler's `shift`, UniPC's `flow_shift`). */
  readonly shift: number;
  readonly config: Pick<SchedulerConfig, 'use_dynamic_shifting' | 'time_shift_type' | 'shift_terminal'>;
}

/**
 * Shifts σ in place as diffusers' set_timesteps does: by `mu` under use_dynamic_shifting (which then must be
 * given), else by the static shift; then the terminal stretch, if configured. Throws a RangeError when `mu`
 * is required and missing or not finite.
 */
export function shiftSchedule(
  sigmas: Float64Array,
  { shift, config }: FlowShift,
  mu: number | undefined,
  r: Rounding = float64,
): void {
  if (config.use_dynamic_shifting) {
    if (mu === undefined || !Number.isFinite(mu)) {
      throw new RangeError(
        `use_dynamic_shifting needs a finite mu: setTimesteps(n, { mu }), got ${String(mu)}`,
      );
    }
    for (let i = 0; i < sigmas.length; i++) sigmas[i] = timeShift(config.time_shift_type, mu, sigmas[i]!, r);
  } else {
    for (let i = 0; i < sigmas.length; i++) sigmas[i] = shiftSigma(shift, sigmas[i]!, r);
  }
  if (config.shift_terminal !== null) stretchToTerminal(sigmas, config.shift_terminal, r);
}

/**
 * The mu a pipeline (Flux, SD3 with dynamic shifting) computes for an image of `imageSeqLen` latent tokens:
 * linear from (base_image_seq_len, base_shift) to (max_image_seq_len, max_shift), as diffusers'
 * calculate_shift.
 */
export function flowShiftMu(
  imageSeqLen: number,
  config: Pick<SchedulerConfig, 'base_image_seq_len' | 'max_image_seq_len' | 'base_shift' | 'max_shift'>,
): number {
  const m = (config.max_shift - config.base_shift) / (config.max_image_seq_len - config.base_image_seq_len);
  const b = config.base_shift - m * config.base_image_seq_len;
  return imageSeqLen * m + b;
}
