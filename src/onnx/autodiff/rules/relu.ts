/** Relu: g where x > 0, else 0. */
import { dy, gradRule, input } from '../rule.js';

export const reluGrad = gradRule('Relu', (ctx, e) => {
  const x = input(ctx, 0);
  const zero = e.scalar(0, e.dtype(x));
  const positive = e.op('Greater', [x, zero], {}, { dtype: 'bool', shape: e.shape(x) });
  return [e.op('Where', [positive, dy(ctx), zero])];
});
