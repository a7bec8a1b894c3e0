/** Reciprocal: d(1/x) = −g·y². */
import { dy, gradRule } from '../rule.js';

export const reciprocalGrad = gradRule('Reciprocal', (ctx, e) => {
  const y = ctx.node.outputs[0] as string;
  return [e.neg(e.mul(dy(ctx), e.mul(y, y)))];
});
