/** Transpose: the gradient transposed by the inverse permutation. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';
import { permOf } from '../emitter.js';

export const transposeGrad: GradRule = {
  op: 'Transpose',
  grad: (ctx) => {
    const x = input(ctx, 0);
    const rank = ctx.e.shape(x).length;
    const perm = permOf(ctx.node) ?? Array.from({ length: rank }, (_v, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.e.transpose(dy(ctx), inverse)];
  },
};
