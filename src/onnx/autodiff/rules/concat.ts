/** Concat: the gradient split back into the inputs' extents along the axis (one Split node). */
import { dy, gradRule } from '../rule.js';
import { attr } from '../../attributes.js';
import { normAxis } from '../emitter.js';
import { intAttr } from '../../attributes.js';
import { GradRuleError } from '../errors.js';

export const concatGrad = gradRule('Concat', (ctx, e) => {
  const g = dy(ctx);
  const rank = e.shape(g).length;
  const axis = normAxis(intAttr(ctx.node, 'axis', 0), rank);
  const sizes = ctx.node.inputs.map((x) => {
    const d = e.shape(x)[axis];
    if (typeof d !== 'number')
      throw new GradRuleError(`the extent of ${x} along axis ${axis} must be static`);
    return d;
  });
  const facts = ctx.node.inputs.map((x) => e.fact(x));
  const parts = e.node(
    'Split',
    [g, e.ints(sizes)],
    { axis: attr.int(axis) },
    { outputs: sizes.length, facts },
  );
  return parts.map((p, i) => (ctx.needs[i] ? p : undefined));
});
