/**
 * Gather along axis 0 (embedding lookups): the rows of the gradient scattered back with ScatterND's
 * reduction "add" into zeros shaped like the table, so repeated indices accumulate.
 */
import { dy, gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { intAttr } from '../../attributes.js';
import { GradRuleError } from '../errors.js';

export const gatherGrad = gradRule('Gather', (ctx, e) => {
  const data = input(ctx, 0);
  const indices = input(ctx, 1);
  if (intAttr(ctx.node, 'axis', 0) !== 0)
    throw new GradRuleError('only Gather along axis 0 has a gradient rule');
  const dims = e.staticShape(data);
  const rows = e.reshape(dy(ctx), [-1, ...dims.slice(1)]);
  const idx = e.reshape(indices, [-1, 1]);
  const dtype = e.dtype(data);
  const zeros = e.op(
    'ConstantOfShape',
    [e.ints(dims)],
    {
      value: attr.tensor({
        name: 'zero',
        dtype,
        dims: [1],
        data: { kind: 'inline', array: dtype === 'float64' ? new Float64Array(1) : new Float32Array(1) },
      }),
    },
    { dtype, shape: dims },
  );
  return [e.op('ScatterND', [zeros, idx, rows], { reduction: attr.string('add') }, e.fact(data)), undefined];
});
