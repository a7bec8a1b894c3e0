/** ReduceSum: the gradient broadcast back over the reduced axes. */
import { gradRule } from '../rule.js';
import { reduceBackward } from '../reduce.js';

export const reduceSumGrad = gradRule('ReduceSum', (ctx) => [reduceBackward(ctx, false)]);
