/** Reshape: the gradient reshaped back to the input shape. */
import { dy, gradRule, input } from '../rule.js';

export const reshapeGrad = gradRule('Reshape', (ctx, e) => [e.reshapeLike(dy(ctx), input(ctx, 0))]);
