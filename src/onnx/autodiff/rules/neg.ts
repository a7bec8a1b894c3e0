/** Neg: −g. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const negGrad: GradRule = {
  op: 'Neg',
  grad: (ctx) => {
    return [ctx.e.neg(dy(ctx))];
  },
};
