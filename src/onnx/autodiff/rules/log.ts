/** Log: g / x. */
import { dy, gradRule, input } from '../rule.js';

export const logGrad = gradRule('Log', (ctx, e) => [e.div(dy(ctx), input(ctx, 0))]);
