/** Expand: the gradient summed back over the broadcast axes. */
import { dy, gradRule, input } from '../rule.js';

export const expandGrad = gradRule('Expand', (ctx, e) => [e.reduceTo(dy(ctx), input(ctx, 0))]);
