/** Split: the output gradients concatenated back along the axis, zeros for outputs no gradient reaches. */
import { gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { normAxis } from '../emitter.js';
import { intAttr } from '../../attributes.js';

export const splitGrad = gradRule('Split', (ctx, e) => {
  const x = input(ctx, 0);
  const axis = normAxis(intAttr(ctx.node, 'axis', 0), e.shape(x).length);
  const parts = ctx.node.outputs.map((o, i) => {
    const g = ctx.dy[i];
    if (g !== undefined) return g;
    const dims = e.staticShape(o);
    return e.op(
      'ConstantOfShape',
      [e.ints(dims)],
      {
        value: attr.tensor({
          name: 'zero',
          dtype: e.dtype(x),
          dims: [1],
          data: {
            kind: 'inline',
            array: e.dtype(x) === 'float64' ? new Float64Array(1) : new Float32Array(1),
          },
        }),
      },
      { dtype: e.dtype(x), shape: dims },
    );
  });
  return [e.op('Concat', parts, { axis: attr.int(axis) }, e.fact(x)), undefined];
});
