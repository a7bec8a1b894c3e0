/** Transpose: the gradient transposed by the inverse permutation. */
import { dy, gradRule, input } from '../rule.js';
import { permOf } from '../emitter.js';

export const transposeGrad = gradRule('Transpose', (ctx, e) => {
  const x = input(ctx, 0);
  const rank = e.shape(x).length;
  const perm = permOf(ctx.node) ?? Array.from({ length: rank }, (_v, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [e.transpose(dy(ctx), inverse)];
});
