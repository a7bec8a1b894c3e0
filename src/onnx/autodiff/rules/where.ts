/** Where: g to the branch each element was taken from (zero elsewhere), summed over broadcast axes. */
import { broadcastGrads, dy, gradRule, input } from '../rule.js';

export const whereGrad = gradRule('Where', (ctx, e) => {
  const g = dy(ctx);
  const cond = input(ctx, 0);
  const zero = e.scalar(0, e.dtype(g));
  return broadcastGrads(ctx, [
    undefined,
    () => e.op('Where', [cond, g, zero]),
    () => e.op('Where', [cond, zero, g]),
  ]);
});
