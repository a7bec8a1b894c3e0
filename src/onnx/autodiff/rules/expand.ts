/** Expand: the gradient summed back over the broadcast axes. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';

export const expandGrad: GradRule = {
  op: 'Expand',
  grad: (ctx) => {
    return [ctx.e.reduceTo(dy(ctx), input(ctx, 0))];
  },
};
