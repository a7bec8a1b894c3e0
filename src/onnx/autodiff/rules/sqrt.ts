/** Sqrt: d√x = g / (2√x), from the forward output. */
import { dy, gradRule } from '../rule.js';

export const sqrtGrad = gradRule('Sqrt', (ctx, e) => [
  e.scale(e.div(dy(ctx), ctx.node.outputs[0] as string), 0.5),
]);
