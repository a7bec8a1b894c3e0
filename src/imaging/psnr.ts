// Reconstruction quality: mean squared error and peak signal-to-noise ratio, 10·log10(peak² / MSE).

/** Mean squared error of two equally long arrays. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`mse: lengths differ (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError('mse: empty arrays');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * PSNR in dB. `peak` is the largest possible value: 255 for bytes, 1 for [0, 1] floats, 2 for [-1, 1]
 * floats (the range's width). Identical inputs give Infinity.
 * @default peak 255
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak = 255): number {
  const e = mse(a, b);
  return e === 0 ? Infinity : 10 * Math.log10((peak * peak) / e);
}
