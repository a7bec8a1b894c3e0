/** Sqrt: d√x = g / (2√x), from the forward output. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const sqrtGrad: GradRule = {
  op: 'Sqrt',
  grad: (ctx) => {
    return [ctx.e.scale(ctx.e.div(dy(ctx), ctx.node.outputs[0] as string), 0.5)];
  },
};
