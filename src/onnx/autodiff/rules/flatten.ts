/** Flatten: the gradient reshaped back to the input shape. */
import { dy, gradRule, input } from '../rule.js';

export const flattenGrad = gradRule('Flatten', (ctx, e) => [e.reshapeLike(dy(ctx), input(ctx, 0))]);
