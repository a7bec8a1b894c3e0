// Inference timestep spacing: which of the T training timesteps a sampler visits when asked for N steps.
// diffusers has two families of rules and a float variant; each scheduler uses its own.
import { npArange, npLinspace, roundHalfEven } from './numeric.js';

export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];

/**
 * Which spacing rule a scheduler follows:
 * - `single`: DDPM and DDIM (integer timesteps).
 * - `euler`: Euler discrete; the same rule but float32 timesteps, so linspace can be fractional (957.375).
 * - `multistep`: UniPC and DPM-Solver++; leading and linspace divide by N+1 and drop the last point, so they
 *   never visit t = 0 and their leading timesteps differ from DDIM's.
 */
export type SpacingRule = 'single' | 'euler' | 'multistep';

export interface SpacingSpec {
  readonly numTrainTimesteps: number;
  readonly numInferenceSteps: number;
  readonly spacing: TimestepSpacing;
  readonly stepsOffset: number;
  /**
   * The top of the range for the multistep rule: T unless DPM-Solver++'s `lambda_min_clipped` cuts the
   * high-noise end off. Ignored by the other rules.
   */
  readonly lastTimestep?: number;
}

/**
 * The descending timesteps for N inference steps (table from diffusers' `set_timesteps`, T training steps,
 * o = steps_offset, all rounding half to even as numpy does):
 *
 * | rule      | leading                          | trailing                          | linspace                          |
 * |-----------|----------------------------------|-----------------------------------|-----------------------------------|
 * | single    | i·⌊T/N⌋ + o, i = N−1 … 0         | round(T − i·T/N) − 1, i = 0 … N−1 | round(linspace(0, T−1, N)) desc.  |
 * | euler     | as single (float32)              | as single (float32)               | linspace(0, T−1, N) in float32    |
 * | multistep | i·⌊T/(N+1)⌋ + o, i = N … 1       | as single                         | round(linspace(0, T−1, N+1))[1:]  |
 *
 * Leading never reaches T−1; trailing starts at T−1 and ends at round(T/N) − 1.
 */
export function spacedTimesteps(rule: SpacingRule, spec: SpacingSpec): Float64Array {
  const T = spec.numTrainTimesteps;
  const N = spec.numInferenceSteps;
  const offset = spec.stepsOffset;
  switch (spec.spacing) {
    case 'leading': {
      const parts = rule === 'multistep' ? N + 1 : N;
      const top = rule === 'multistep' ? (spec.lastTimestep ?? T) : T;
      const ratio = Math.floor(top / parts);
      const out = new Float64Array(N);
      // multistep drops i = 0 (the last point after reversal), single keeps it.
      const first = rule === 'multistep' ? N : N - 1;
      for (let k = 0; k < N; k++) out[k] = (first - k) * ratio + offset;
      return out;
    }
    case 'trailing': {
      const top = rule === 'multistep' ? (spec.lastTimestep ?? T) : T;
      return npArange(top, 0, -T / N).map((x) => roundHalfEven(x) - 1);
    }
    case 'linspace': {
      if (rule === 'euler')
        return npLinspace(0, T - 1, N)
          .map(Math.fround)
          .reverse();
      if (rule === 'single')
        return npLinspace(0, T - 1, N)
          .map(roundHalfEven)
          .reverse();
      const top = spec.lastTimestep ?? T;
      return npLinspace(0, top - 1, N + 1)
        .map(roundHalfEven)
        .reverse()
        .subarray(0, N)
        .slice();
    }
  }
}

/**
 * DDIM's previous timestep: t − ⌊T/N⌋, whatever the spacing. For linspace, and for trailing when N does not
 * divide T, that is not the next entry of the schedule; diffusers does it this way and so do we.
 */
export function ddimPreviousTimestep(
  t: number,
  numTrainTimesteps: number,
  numInferenceSteps: number,
): number {
  return t - Math.floor(numTrainTimesteps / numInferenceSteps);
}
