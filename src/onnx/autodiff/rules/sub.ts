/** Sub: +g to the minuend, −g to the subtrahend, each summed over its broadcast axes. */
import { broadcastGrads, dy, gradRule } from '../rule.js';

export const subGrad = gradRule('Sub', (ctx, e) => {
  const g = dy(ctx);
  return broadcastGrads(ctx, [() => g, () => e.neg(g)]);
});
