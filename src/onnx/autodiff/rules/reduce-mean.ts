/** ReduceMean: the gradient divided by the reduced count and broadcast back over the reduced axes. */
import { gradRule } from '../rule.js';
import { reduceBackward } from '../reduce.js';

export const reduceMeanGrad = gradRule('ReduceMean', (ctx) => [reduceBackward(ctx, true)]);
