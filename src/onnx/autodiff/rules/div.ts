/** Div: d(a/b) = g/b for a and −g·(a/b)/b for b (reusing the forward quotient). */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const divGrad: GradRule = {
  op: 'Div',
  grad: (ctx) => {
    const g = dy(ctx);
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const gOverB = ctx.e.div(g, b);
    const y = ctx.node.outputs[0] as string;
    return [
      ctx.needs[0] ? ctx.e.reduceTo(gOverB, a) : undefined,
      ctx.needs[1] ? ctx.e.reduceTo(ctx.e.neg(ctx.e.mul(gOverB, y)), b) : undefined,
    ];
  },
};
