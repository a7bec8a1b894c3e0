// Which training timesteps each expert of a split schedule sees, and how a batch draws from them.
// Semantics are SimpleTuner's (--refiner_training, --refiner_training_strength s,
// --refiner_training_invert_schedule for the base), with one deliberate difference noted below.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { assertBatchSize } from './random.js';

/** base: the high-noise expert (stage one, SimpleTuner's inverted schedule); refiner: the low-noise one. */
export type ExpertRole = 'base' | 'refiner';

/** An inclusive range of integer training timesteps. */
export interface TimestepRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The training range of an expert for strength s and T training timesteps:
 * base [⌊s·T⌋, T−1], refiner [0, ⌊T·s⌋ − 1]. The two tile 0 … T−1 exactly and meet at the inference
 * hand-off of split 1 − s (for s = 0.35: base 350…999, refiner 0…349, cutoff 350).
 * ⌊·⌋ is Python's int() of the float64 product, as SimpleTuner computes it.
 */
export function expertRange(
  role: ExpertRole,
  strength: number,
  numTrainTimesteps = 1000,
): Result<TimestepRange, string> {
  if (!(typeof strength === 'number' && strength > 0 && strength < 1)) {
    return err(`strength: expected a number strictly between 0 and 1, got ${String(strength)}`);
  }
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 2) {
    return err(`num_train_timesteps: expected an integer ≥ 2, got ${String(numTrainTimesteps)}`);
  }
  const boundary = Math.trunc(strength * numTrainTimesteps);
  if (boundary < 1 || boundary > numTrainTimesteps - 1) {
    return err(
      `strength: ${strength} × ${numTrainTimesteps} timesteps leaves the ${boundary < 1 ? 'refiner' : 'base'} no timesteps`,
    );
  }
  return ok(role === 'base' ? { min: boundary, max: numTrainTimesteps - 1 } : { min: 0, max: boundary - 1 });
}

/**
 * Stratified timestep draws for one batch: the range is cut into `batchSize` segments of ⌊n/batchSize⌋
 * timesteps from the top down (the last segment also takes the remainder), and element i draws uniformly
 * from segment i. So a batch always spans its expert's range, high noise first.
 *
 * Differences from SimpleTuner's segmented_timestep_selection, on purpose:
 * - at batch size 1 SimpleTuner ignores the expert range and draws from all of 0 … T−1; here the single
 *   segment is the expert's range, so an expert never trains outside it;
 * - SimpleTuner's neighbouring segments share their boundary timestep; here segments do not overlap;
 * - when the batch is larger than the range, segments of one timestep repeat from the top.
 *
 * @param random a source of uniform numbers in [0, 1) (`seededRandom(seed)` for reproducible runs)
 */
export function sampleExpertTimesteps(
  range: TimestepRange,
  batchSize: number,
  random: () => number,
): Int32Array {
  assertBatchSize(batchSize);
  const count = range.max - range.min + 1;
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || count < 1) {
    throw new RangeError(`expected a non-empty integer range, got ${range.min}..${range.max}`);
  }
  const out = new Int32Array(batchSize);
  const segments = Math.min(batchSize, count);
  const size = Math.floor(count / segments);
  for (let i = 0; i < batchSize; i++) {
    const segment = i % segments;
    const top = range.max - segment * size;
    const bottom = segment === segments - 1 ? range.min : top - size + 1;
    const u = random();
    out[i] = bottom + Math.min(top - bottom, Math.floor(u * (top - bottom + 1)));
  }
  return out;
}
