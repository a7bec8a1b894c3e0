// Timestep bias for DDPM experts: more of each batch's timesteps from one part of the schedule.
// The weights are SimpleTuner's (--timestep_bias_strategy earlier | later | range | none,
// --timestep_bias_multiplier, --timestep_bias_portion, --timestep_bias_begin, --timestep_bias_end):
// every timestep weighs 1, the biased ones `multiplier`. How a batch draws from them differs on purpose,
// see sampleBiasedExpertTimesteps.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { TimestepRange } from './experts.js';
import { assertBatchSize } from './random.js';

/**
 * - earlier: the first ⌊portion·N⌋ timesteps (0 …, the low-noise end);
 * - later: the last ⌊portion·N⌋ (… N−1, the high-noise end);
 * - range: begin … end−1 (Python's slice, as SimpleTuner indexes it).
 */
export type TimestepBias =
  | { readonly strategy: 'earlier' | 'later'; readonly multiplier: number; readonly portion: number }
  | { readonly strategy: 'range'; readonly multiplier: number; readonly begin: number; readonly end: number };

/** SimpleTuner's defaults for the keys a pipeline leaves out. */
export const TIMESTEP_BIAS_DEFAULTS = { multiplier: 1, portion: 0.25, begin: 0, end: 1000 } as const;

/** Checks a bias against a schedule of N training timesteps; errors name the key and the fix. */
export function checkTimestepBias(b: TimestepBias, numTrainTimesteps: number): Result<TimestepBias, string> {
  if (!(b.multiplier > 0 && Number.isFinite(b.multiplier))) {
    return err(`timestep_bias_multiplier: expected a number > 0, got ${b.multiplier}`);
  }
  if (b.strategy !== 'range') {
    if (!(b.portion > 0 && b.portion <= 1)) {
      return err(`timestep_bias_portion: expected a share in (0, 1], got ${b.portion}`);
    }
    if (Math.trunc(b.portion * numTrainTimesteps) < 1) {
      return err(`timestep_bias_portion: ${b.portion} of ${numTrainTimesteps} timesteps biases none of them`);
    }
    return ok(b);
  }
  if (!(Number.isInteger(b.begin) && Number.isInteger(b.end) && b.begin >= 0 && b.begin < b.end)) {
    return err(
      `timestep_bias_begin/end: expected integers with 0 ≤ begin < end, got ${b.begin} and ${b.end}`,
    );
  }
  if (b.begin >= numTrainTimesteps) {
    return err(
      `timestep_bias_begin: ${b.begin} is past the schedule's last timestep ${numTrainTimesteps - 1}`,
    );
  }
  return ok(b);
}

/** The weight of each timestep 0 … N−1: 1, or the multiplier where the bias applies. */
export function timestepBiasWeights(b: TimestepBias, numTrainTimesteps: number): Float64Array {
  const n = numTrainTimesteps;
  const w = new Float64Array(n).fill(1);
  let from: number;
  let to: number;
  if (b.strategy === 'range') {
    from = b.begin;
    to = Math.min(n, b.end);
  } else {
    const count = Math.trunc(b.portion * n);
    [from, to] = b.strategy === 'later' ? [n - count, n] : [0, count];
  }
  w.fill(b.multiplier, from, to);
  return w;
}

/**
 * Timestep draws for one batch from `weights` (timestepBiasWeights) restricted to the expert's range,
 * stratified by probability mass: the range's total weight is cut into `batchSize` equal shares from the
 * top down and element i draws from share i by the inverse CDF. So a batch still spans its expert's range,
 * high noise first, and a biased part gets `multiplier` times the draws per timestep.
 *
 * SimpleTuner instead cuts the range into equal segments of timesteps and draws one per segment with the
 * weights inside it, so a bias only moves draws within a segment, not between them (at batch 16 over 650
 * timesteps, a later bias hardly changes a batch); drawing by mass makes the bias mean what it says.
 *
 * @param random a source of uniform numbers in [0, 1)
 */
export function sampleBiasedExpertTimesteps(
  range: TimestepRange,
  weights: Float64Array,
  batchSize: number,
  random: () => number,
): Int32Array {
  assertBatchSize(batchSize);
  const count = range.max - range.min + 1;
  if (
    !Number.isInteger(range.min) ||
    !Number.isInteger(range.max) ||
    count < 1 ||
    range.max >= weights.length
  ) {
    throw new RangeError(
      `expected a non-empty integer range inside 0…${weights.length - 1}, got ${range.min}..${range.max}`,
    );
  }
  const cdf = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += weights[range.min + i] ?? 0;
    cdf[i] = total;
  }
  const out = new Int32Array(batchSize);
  for (let k = 0; k < batchSize; k++) {
    const u = ((batchSize - 1 - k + random()) / batchSize) * total;
    // The first timestep whose cumulative weight passes u (binary search).
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 0) <= u) lo = mid + 1;
      else hi = mid;
    }
    out[k] = range.min + lo;
  }
  return out;
}
