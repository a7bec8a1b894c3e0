/** Div: d(a/b) = g/b for a and −g·(a/b)/b for b (reusing the forward quotient). */
import { broadcastGrads, dy, gradRule, input } from '../rule.js';

export const divGrad = gradRule('Div', (ctx, e) => {
  const gOverB = e.div(dy(ctx), input(ctx, 1));
  const y = ctx.node.outputs[0] as string;
  return broadcastGrads(ctx, [() => gOverB, () => e.neg(e.mul(gOverB, y))]);
});
