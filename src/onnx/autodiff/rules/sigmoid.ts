/** Sigmoid: g·y·(1 − y), from the forward output. */
import { dy, gradRule } from '../rule.js';

export const sigmoidGrad = gradRule('Sigmoid', (ctx, e) => {
  const y = ctx.node.outputs[0] as string;
  return [e.mul(e.mul(dy(ctx), y), e.sub(e.scalar(1, e.dtype(y)), y))];
});
