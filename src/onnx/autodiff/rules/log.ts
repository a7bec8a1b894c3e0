/** Log: g / x. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const logGrad: GradRule = {
  op: 'Log',
  grad: (ctx) => {
    return [ctx.e.div(dy(ctx), input(ctx, 0))];
  },
};
