/** Exp: g·eˣ, from the forward output. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const expGrad: GradRule = {
  op: 'Exp',
  grad: (ctx) => {
    return [ctx.e.mul(dy(ctx), ctx.node.outputs[0] as string)];
  },
};
