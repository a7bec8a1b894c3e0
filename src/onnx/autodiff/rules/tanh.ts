/** Tanh: g·(1 − y²). */
import { dy, gradRule } from '../rule.js';

export const tanhGrad = gradRule('Tanh', (ctx, e) => {
  const y = ctx.node.outputs[0] as string;
  return [e.mul(dy(ctx), e.sub(e.scalar(1, e.dtype(y)), e.mul(y, y)))];
});
