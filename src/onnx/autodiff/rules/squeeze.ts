/** Squeeze: the gradient reshaped back to the input shape. */
import { dy, gradRule, input } from '../rule.js';

export const squeezeGrad = gradRule('Squeeze', (ctx, e) => [e.reshapeLike(dy(ctx), input(ctx, 0))]);
