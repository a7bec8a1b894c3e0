/** Add: the gradient passes to both operands, summed over the axes each was broadcast along. */
import { broadcastGrads, dy, gradRule } from '../rule.js';

export const addGrad = gradRule('Add', (ctx) => {
  const g = dy(ctx);
  return broadcastGrads(ctx, [() => g, () => g]);
});
