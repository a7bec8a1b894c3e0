/** Reciprocal: d(1/x) = −g·y². */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const reciprocalGrad: GradRule = {
  op: 'Reciprocal',
  grad: (ctx) => {
    const y = ctx.node.outputs[0] as string;
    return [ctx.e.neg(ctx.e.mul(dy(ctx), ctx.e.mul(y, y)))];
  },
};
