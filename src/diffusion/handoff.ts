// The SDXL two-stage hand-off: the base runs with `denoising_end = split`, the refiner with
// `denoising_start = split`, both over the same N-step schedule (StableDiffusionXLPipeline and
// StableDiffusionXLImg2ImgPipeline).
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { roundHalfEven } from './numeric.js';

/**
 * The discrete timestep cutoff for a split fraction: int(round(T − split·T)) with Python's half-to-even
 * round (350 for split 0.65 and T = 1000).
 */
export function discreteTimestepCutoff(split: number, numTrainTimesteps = 1000): number {
  return Math.trunc(roundHalfEven(numTrainTimesteps - split * numTrainTimesteps));
}

export interface SplitSchedule {
  readonly cutoff: number;
  /** The base's timesteps: every t ≥ cutoff (a prefix of the schedule). */
  readonly stage1: Float64Array;
  /** The refiner's timesteps: the schedule's tail from `beginIndex`. */
  readonly stage2: Float64Array;
  /**
   * Where the refiner's scheduler starts (`set_begin_index`): the schedule length minus the refiner's step
   * count. Equals stage1.length unless the order-2 rule below added a step.
   */
  readonly beginIndex: number;
  /** Whether the refiner got one extra step because its scheduler is second order and its count was even. */
  readonly extraStep: boolean;
}

/**
 * Splits one schedule at `split` as the two SDXL pipelines do:
 * - base (denoising_end): the timesteps t ≥ cutoff;
 * - refiner (denoising_start): n = #{t < cutoff}; if the scheduler's `order` is 2 and n is even, n + 1
 *   (a second-order scheduler's timesteps come in pairs; an even count would start between the two halves
 *   of a step); the refiner runs the last n timesteps and its scheduler begins at index len − n.
 * Split runs of first-order samplers (DDIM, Euler) then equal a single run exactly; multistep solvers
 * (UniPC, DPM-Solver++) lose their history at the hand-off, so their split run differs slightly.
 *
 * @param timesteps the full schedule after setTimesteps(N)
 * @param order the scheduler's `order` (1 for all of moe's samplers)
 */
export function splitTimesteps(
  timesteps: Float64Array,
  split: number,
  options: { readonly numTrainTimesteps?: number; readonly order?: number } = {},
): Result<SplitSchedule, string> {
  if (!(typeof split === 'number' && split > 0 && split < 1)) {
    return err(`split: expected a number strictly between 0 and 1, got ${String(split)}`);
  }
  const cutoff = discreteTimestepCutoff(split, options.numTrainTimesteps ?? 1000);
  const stage1Length = timesteps.filter((t) => t >= cutoff).length;
  let stage2Length = timesteps.filter((t) => t < cutoff).length;
  const extraStep = (options.order ?? 1) === 2 && stage2Length % 2 === 0;
  if (extraStep) stage2Length += 1;
  const beginIndex = timesteps.length - stage2Length;
  return ok({
    cutoff,
    stage1: timesteps.slice(0, stage1Length),
    stage2: timesteps.slice(beginIndex),
    beginIndex,
    extraStep,
  });
}
