/** Add: the gradient passes to both operands, summed over the axes each was broadcast along. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const addGrad: GradRule = {
  op: 'Add',
  grad: (ctx) => {
    const g = dy(ctx);
    return [
      ctx.needs[0] ? ctx.e.reduceTo(g, input(ctx, 0)) : undefined,
      ctx.needs[1] ? ctx.e.reduceTo(g, input(ctx, 1)) : undefined,
    ];
  },
};
