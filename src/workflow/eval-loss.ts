// The stable evaluation loss (SimpleTuner's idea): fixed timesteps, fixed noise, held-out items, so two
// runs or two experts are compared on exactly the same draws. Pure arithmetic over per-timestep losses.
import type { TimestepRange } from '../diffusion/index.js';

/** `count` timesteps evenly over 0…N−1, rounded, ascending, without repeats (both ends included). */
export function evalTimesteps(count: number, numTrainTimesteps: number): number[] {
  if (count <= 1) return [numTrainTimesteps - 1];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (numTrainTimesteps - 1)) / (count - 1)));
  return [...out];
}

/** Mean squared error between two equally long arrays, over `[start, end)`. */
export function mse(a: Float32Array, b: Float32Array, start = 0, end = a.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum / (end - start);
}

export interface BandLoss {
  /** Mean loss over the timesteps of the band (each timestep's loss is the mean over items). */
  readonly base_band: number | null;
  readonly refiner_band: number | null;
  /** Mean over every evaluated timestep. */
  readonly full: number | null;
  /** Loss per evaluated timestep, in the order of `timesteps`. */
  readonly per_timestep: readonly number[];
}

const within = (t: number, r: TimestepRange) => t >= r.min && t <= r.max;
const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

export function bandLoss(
  timesteps: readonly number[],
  perTimestep: readonly number[],
  base: TimestepRange,
  refiner: TimestepRange,
): BandLoss {
  const pick = (r: TimestepRange) => perTimestep.filter((_, i) => within(timesteps[i] as number, r));
  return {
    base_band: mean(pick(base)),
    refiner_band: mean(pick(refiner)),
    full: mean(perTimestep),
    per_timestep: perTimestep,
  };
}

/**
 * The composed pair's per-timestep loss: each timestep is denoised by the expert that owns it (the base
 * above the split, the refiner below), so its loss is that expert's.
 */
export function composedLoss(
  timesteps: readonly number[],
  baseLoss: readonly number[],
  refinerLoss: readonly number[],
  base: TimestepRange,
): number[] {
  return timesteps.map((t, i) => (within(t, base) ? (baseLoss[i] as number) : (refinerLoss[i] as number)));
}
