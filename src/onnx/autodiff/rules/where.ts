/** Where: g to the branch each element was taken from (zero elsewhere), summed over broadcast axes. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const whereGrad: GradRule = {
  op: 'Where',
  grad: (ctx) => {
    const e = ctx.e;
    const g = dy(ctx);
    const cond = input(ctx, 0);
    const zero = e.scalar(0, e.dtype(g));
    return [
      undefined,
      ctx.needs[1] ? e.reduceTo(e.op('Where', [cond, g, zero]), input(ctx, 1)) : undefined,
      ctx.needs[2] ? e.reduceTo(e.op('Where', [cond, zero, g]), input(ctx, 2)) : undefined,
    ];
  },
};
