/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into constant coefficient tables; `!` says so without a branch per coefficient. */
// The training-σ densities of flow-matching trainers, each with its CDF and quantile so that draws can be
// confined to an expert's range without changing the density's shape there (inverse-CDF sampling).
// u ∈ [0, 1] is drawn from the density, then shifted: σ = s·u/(1 + (s − 1)·u), as SD3, Flux and Wan trainers
// do (diffusers' compute_density_for_timestep_sampling, musubi-tuner's --timestep_sampling shift/sigmoid,
// SimpleTuner's flow_schedule_shift).
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { assertBatchSize } from './random.js';
import { shiftSigma } from './samplers/flow-sigmas.js';

/**
 * - uniform: u ~ U(0, 1);
 * - logit_normal: logit(u) ~ N(mean, std²) (SD3's default 0, 1; musubi's `sigmoid` with sigmoid_scale = std);
 * - mode: u = 1 − w − scale·(cos²(πw/2) − 1 + w) for w ~ U(0, 1) (SD3's "mode" sampling, scale in
 *   [−1, 2/(π − 2)] so that the map stays monotone).
 */
export type TimestepDensity =
  | { readonly kind: 'uniform' }
  | { readonly kind: 'logit_normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'mode'; readonly scale: number };

export const MODE_SCALE_MAX = 2 / (Math.PI - 2);

/** Checks a density's parameters (std > 0, the mode scale in [−1, 2/(π − 2)]). */
export function checkDensity(d: TimestepDensity): Result<TimestepDensity, string> {
  if (d.kind === 'logit_normal') {
    if (!Number.isFinite(d.mean)) return err(`logit_normal mean: expected a number, got ${d.mean}`);
    if (!(d.std > 0 && Number.isFinite(d.std)))
      return err(`logit_normal std: expected a number > 0, got ${d.std}`);
  }
  if (d.kind === 'mode' && !(d.scale >= -1 && d.scale <= MODE_SCALE_MAX)) {
    return err(
      `mode scale: expected a number in [-1, ${MODE_SCALE_MAX.toFixed(4)}] (beyond it the map is not monotone), got ${d.scale}`,
    );
  }
  return ok(d);
}

/** erfc(x) for x ≥ 0 (Abramowitz & Stegun 7.1.26 is too coarse; this is the Chebyshev fit with |ε| < 1.2e-7). */
function erfcPositive(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(poly);
}

/** The standard normal CDF Φ. */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = Math.abs(z) / Math.SQRT2;
  const tail = 0.5 * erfcPositive(x);
  return z >= 0 ? 1 - tail : tail;
}

/** The standard normal quantile Φ⁻¹ (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tailRational = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tailRational(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tailRational(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

const modeMap = (scale: number, w: number) => 1 - w - scale * (Math.cos((Math.PI * w) / 2) ** 2 - 1 + w);

/** P(u ≤ x) under the density, x ∈ [0, 1]. */
export function densityCdf(d: TimestepDensity, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  switch (d.kind) {
    case 'uniform':
      return x;
    case 'logit_normal':
      return normalCdf((Math.log(x / (1 - x)) - d.mean) / d.std);
    case 'mode': {
      // u = m(w) falls from 1 to 0 as w rises, so P(u ≤ x) = 1 − m⁻¹(x); m⁻¹ by bisection.
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < 60; i++) {
        const mid = (lo + hi) / 2;
        if (modeMap(d.scale, mid) > x) lo = mid;
        else hi = mid;
      }
      return 1 - (lo + hi) / 2;
    }
  }
}

/** The u with P(u' ≤ u) = p under the density. */
export function densityQuantile(d: TimestepDensity, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  switch (d.kind) {
    case 'uniform':
      return p;
    case 'logit_normal':
      return 1 / (1 + Math.exp(-(d.mean + d.std * normalQuantile(p))));
    case 'mode':
      return Math.min(1, Math.max(0, modeMap(d.scale, 1 - p)));
  }
}

/** The inverse of the static shift: σ → σ/(s − (s − 1)·σ). */
export function unshiftSigma(shift: number, sigma: number): number {
  return sigma / (shift - (shift - 1) * sigma);
}

export interface SigmaInterval {
  /** Lowest and highest σ (in [0, 1]) the draws may take. */
  readonly min: number;
  readonly max: number;
}

/**
 * Training σ for one batch: u from the density, shifted by `shift`, confined to `interval` without changing
 * the density's shape there. The interval is mapped back through the shift to [u_lo, u_hi]; probabilities
 * are stratified over [CDF(u_lo), CDF(u_hi)] (element i draws from the i-th of `batchSize` equal-probability
 * strata, so a batch spans the range, high noise first) and sent through the quantile. At batch size 1 the
 * single stratum is the whole interval: every draw is inside it, whatever the batch size.
 *
 * @param random uniform numbers in [0, 1) (`seededRandom(seed)`)
 */
export function sampleFlowSigmas(
  density: TimestepDensity,
  shift: number,
  interval: SigmaInterval,
  batchSize: number,
  random: () => number,
): Float64Array {
  assertBatchSize(batchSize);
  if (!(interval.min >= 0 && interval.max <= 1 && interval.min < interval.max))
    throw new RangeError(`expected 0 ≤ min < max ≤ 1, got ${interval.min}..${interval.max}`);
  if (!(shift > 0)) throw new RangeError(`expected a shift > 0, got ${shift}`);
  const pLo = densityCdf(density, unshiftSigma(shift, interval.min));
  const pHi = densityCdf(density, unshiftSigma(shift, interval.max));
  const out = new Float64Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const stratum = batchSize - 1 - i;
    const p = pLo + ((stratum + random()) / batchSize) * (pHi - pLo);
    const sigma = shiftSigma(shift, densityQuantile(density, p));
    out[i] = Math.min(interval.max, Math.max(interval.min, sigma));
  }
  return out;
}
