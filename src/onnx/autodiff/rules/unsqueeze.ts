/** Unsqueeze: the gradient reshaped back to the input shape. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const unsqueezeGrad: GradRule = {
  op: 'Unsqueeze',
  grad: (ctx) => {
    return [ctx.e.reshapeLike(dy(ctx), input(ctx, 0))];
  },
};
