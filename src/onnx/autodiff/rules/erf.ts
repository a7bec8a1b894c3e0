/** Erf: g·(2/√π)·exp(−x²). */
import { dy, gradRule, input } from '../rule.js';

export const erfGrad = gradRule('Erf', (ctx, e) => {
  const x = input(ctx, 0);
  const gauss = e.op('Exp', [e.neg(e.mul(x, x))]);
  return [e.mul(dy(ctx), e.scale(gauss, 2 / Math.sqrt(Math.PI)))];
});
