/** ReduceMean: the gradient divided by the reduced count and broadcast back over the reduced axes. */
import type { GradRule } from '../rule.js';
import { reduceBackward } from '../reduce.js';

export const reduceMeanGrad: GradRule = { op: 'ReduceMean', grad: (ctx) => [reduceBackward(ctx, true)] };
