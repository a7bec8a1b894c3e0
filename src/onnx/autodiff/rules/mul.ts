/** Mul: d(a·b) = g·b for a and g·a for b, each summed over its broadcast axes. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const mulGrad: GradRule = {
  op: 'Mul',
  grad: (ctx) => {
    const g = dy(ctx);
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    return [
      ctx.needs[0] ? ctx.e.reduceTo(ctx.e.mul(g, b), a) : undefined,
      ctx.needs[1] ? ctx.e.reduceTo(ctx.e.mul(g, a), b) : undefined,
    ];
  },
};
