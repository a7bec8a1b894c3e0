/** Sub: +g to the minuend, −g to the subtrahend, each summed over its broadcast axes. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const subGrad: GradRule = {
  op: 'Sub',
  grad: (ctx) => {
    const g = dy(ctx);
    return [
      ctx.needs[0] ? ctx.e.reduceTo(g, input(ctx, 0)) : undefined,
      ctx.needs[1] ? ctx.e.reduceTo(ctx.e.neg(g), input(ctx, 1)) : undefined,
    ];
  },
};
