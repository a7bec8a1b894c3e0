/** Cos: −g·sin x. */
import { dy, gradRule, input } from '../rule.js';

export const cosGrad = gradRule('Cos', (ctx, e) => [e.neg(e.mul(dy(ctx), e.op('Sin', [input(ctx, 0)])))]);
