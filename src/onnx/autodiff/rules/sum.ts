/** Sum: g to every operand, summed over its broadcast axes. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const sumGrad: GradRule = {
  op: 'Sum',
  grad: (ctx) => {
    const g = dy(ctx);
    return ctx.node.inputs.map((x, i) => (ctx.needs[i] ? ctx.e.reduceTo(g, x) : undefined));
  },
};
