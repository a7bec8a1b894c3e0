/** Sin: g·cos x. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const sinGrad: GradRule = {
  op: 'Sin',
  grad: (ctx) => {
    return [ctx.e.mul(dy(ctx), ctx.e.op('Cos', [input(ctx, 0)]))];
  },
};
