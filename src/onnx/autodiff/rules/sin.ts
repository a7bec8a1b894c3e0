/** Sin: g·cos x. */
import { dy, gradRule, input } from '../rule.js';

export const sinGrad = gradRule('Sin', (ctx, e) => [e.mul(dy(ctx), e.op('Cos', [input(ctx, 0)]))]);
