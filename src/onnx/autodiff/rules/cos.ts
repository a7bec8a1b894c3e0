/** Cos: −g·sin x. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const cosGrad: GradRule = {
  op: 'Cos',
  grad: (ctx) => {
    return [ctx.e.neg(ctx.e.mul(dy(ctx), ctx.e.op('Sin', [input(ctx, 0)])))];
  },
};
