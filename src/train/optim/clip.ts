/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ does it: the L2 norm over every
 * gradient together, and when it exceeds `maxNorm` every gradient scaled in place by
 * maxNorm / (norm + 1e-6). Returns the norm before clipping.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * coef;
  }
  return norm;
}

/** The L2 norm of all gradients together, accumulated in double precision. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const g of grads) {
    for (const x of g) sum += x * x;
  }
  return Math.sqrt(sum);
}
