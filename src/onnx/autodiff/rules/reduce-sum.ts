/** ReduceSum: the gradient broadcast back over the reduced axes. */
import type { GradRule } from '../rule.js';
import { reduceBackward } from '../reduce.js';

export const reduceSumGrad: GradRule = { op: 'ReduceSum', grad: (ctx) => [reduceBackward(ctx, false)] };
