/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ does it: the L2 norm over every
 * gradient together, and when it exceeds `maxNorm` every gradient scaled in place by
 * maxNorm / (norm + 1e-6). Returns the norm before clipping.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = clipCoefficient(norm, maxNorm);
  if (coef < 1) {
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * coef;
  }
  return norm;
}

/**
 * Per-element clipping as torch.nn.utils.clip_grad_value_ does it (SimpleTuner's default
 * `grad_clip_method: value`): every gradient component limited to [−maxValue, maxValue] in place.
 * Returns the largest absolute component before clipping (SimpleTuner logs it as grad_absmax).
 */
export function clipGradValue(grads: readonly Float32Array[], maxValue: number): number {
  let absmax = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i] as number;
      const a = Math.abs(x);
      if (a > absmax) absmax = a;
      if (x > maxValue) g[i] = maxValue;
      else if (x < -maxValue) g[i] = -maxValue;
    }
  }
  return absmax;
}

/** The L2 norm of all gradients together, accumulated in double precision. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const g of grads) {
    const n = g.length;
    for (let i = 0; i < n; i++) {
      const x = g[i] as number;
      sum += x * x;
    }
  }
  return Math.sqrt(sum);
}

/** The factor clipping scales gradients by: maxNorm / (norm + 1e-6) when that is below 1, else 1. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}
