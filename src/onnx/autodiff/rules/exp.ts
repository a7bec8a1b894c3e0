/** Exp: g·eˣ, from the forward output. */
import { dy, gradRule } from '../rule.js';

export const expGrad = gradRule('Exp', (ctx, e) => [e.mul(dy(ctx), ctx.node.outputs[0] as string)]);
