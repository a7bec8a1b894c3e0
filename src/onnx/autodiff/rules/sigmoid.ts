/** Sigmoid: g·y·(1 − y), from the forward output. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const sigmoidGrad: GradRule = {
  op: 'Sigmoid',
  grad: (ctx) => {
    const e = ctx.e;
    const y = ctx.node.outputs[0] as string;
    return [e.mul(e.mul(dy(ctx), y), e.sub(e.scalar(1, e.dtype(y)), y))];
  },
};
