/** Tanh: g·(1 − y²). */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const tanhGrad: GradRule = {
  op: 'Tanh',
  grad: (ctx) => {
    const e = ctx.e;
    const y = ctx.node.outputs[0] as string;
    return [e.mul(dy(ctx), e.sub(e.scalar(1, e.dtype(y)), e.mul(y, y)))];
  },
};
