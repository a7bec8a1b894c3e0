/** Neg: −g. */
import { dy, gradRule } from '../rule.js';

export const negGrad = gradRule('Neg', (ctx, e) => [e.neg(dy(ctx))]);
