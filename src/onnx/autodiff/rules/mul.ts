/** Mul: d(a·b) = g·b for a and g·a for b, each summed over its broadcast axes. */
import { broadcastGrads, dy, gradRule, input } from '../rule.js';

export const mulGrad = gradRule('Mul', (ctx, e) => {
  const g = dy(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  return broadcastGrads(ctx, [() => e.mul(g, b), () => e.mul(g, a)]);
});
