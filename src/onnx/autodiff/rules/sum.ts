/** Sum: g to every operand, summed over its broadcast axes. */
import { dy, gradRule } from '../rule.js';

export const sumGrad = gradRule('Sum', (ctx, e) => {
  const g = dy(ctx);
  return ctx.node.inputs.map((x, i) => (ctx.needs[i] ? e.reduceTo(g, x) : undefined));
});
