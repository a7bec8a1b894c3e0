/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The few numpy and torch primitives whose exact rounding decides diffusers' timesteps and schedules.
// Porting them value for value is what makes timesteps equal exactly and schedules equal to the last bit.

const f32 = Math.fround;

/** numpy's `round` (and Python 3's): halves go to the even neighbour, so 832.5 → 832 and 166.5 → 166. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; take the even neighbour instead.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * numpy.linspace(start, stop, num) with endpoint: y_i = i·(stop − start)/(num − 1) + start, and the last value
 * set to `stop` exactly (numpy ≥ 1.20).
 */
export function npLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * numpy.arange(start, stop, step) for floats: length ⌈(stop − start)/step⌉, values start + i·δ where
 * δ = (start + step) − start, as numpy's fill computes them.
 */
export function npArange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** numpy.interp(x, [0, 1, …, n−1], fp): piecewise-linear lookup into a table indexed by integers. */
export function interpIndex(x: number, fp: Float64Array): number {
  const n = fp.length;
  if (x <= 0) return fp[0]!;
  if (x >= n - 1) return fp[n - 1]!;
  const lo = Math.floor(x);
  const w = x - lo;
  const a = fp[lo]!;
  const b = fp[lo + 1]!;
  return w === 0 ? a : a + (b - a) * w;
}

/**
 * torch.linspace(start, end, n, dtype=float32) on an x86-64 CPU, bit for bit. torch computes the step in
 * float32 and counts up from `start` for the first half and down from `end` for the second; its AVX2 kernel
 * fills 8 lanes at a time, two vectors per iteration, each vector as base + j·step with the base formed by a
 * fused multiply-add, and the tail (n mod 16 values) with the scalar formula. Reproducing that exactly
 * matters because the zero-SNR rescale cancels digits near t = T−1 and turns one-ulp differences in the betas
 * into 1e-4 relative differences there.
 */
export function torchLinspaceF32(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = f32(start);
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / f32(n - 1));
  const half = Math.floor(n / 2);
  // step·i is exact in float64 (24-bit × ≤ 31-bit), so rounding the sum once is the fused multiply-add.
  const fused = (i: number): number => (i < half ? f32(s + step * i) : f32(e - step * (n - 1 - i)));
  const lanes = 8;
  let i = 0;
  for (; i <= n - 2 * lanes; i += lanes) {
    const base = fused(i);
    for (let j = 0; j < lanes; j++) out[i + j] = f32(base + f32(step * j));
  }
  for (; i < n; i++) out[i] = fused(i);
  return out;
}

/**
 * torch.cumprod on a float32 CPU tensor: it accumulates in float64 and rounds each output to float32.
 */
export function cumprodF32(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let acc = 1;
  for (let i = 0; i < values.length; i++) {
    acc *= values[i]!;
    out[i] = f32(acc);
  }
  return out;
}
