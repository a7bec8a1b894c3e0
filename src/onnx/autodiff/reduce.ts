/** The shared backward of ReduceSum and ReduceMean: the gradient broadcast back over the reduced axes. */
import type { GradContext } from './rule.js';
import { dy, input, intsInput } from './rule.js';
import { normAxis } from './emitter.js';
import { intAttr } from '../attributes.js';
import { GradRuleError } from './errors.js';
import type { Dim } from '../ir.js';

export function reduceBackward(ctx: GradContext, mean: boolean): string {
  const e = ctx.e;
  const x = input(ctx, 0);
  const shape = e.shape(x);
  const rank = shape.length;
  const hasAxes = (ctx.node.inputs[1] ?? '') !== '';
  let axes = hasAxes ? intsInput(ctx, 1).map((a) => normAxis(a, rank)) : [];
  if (axes.length === 0) {
    if (intAttr(ctx.node, 'noop_with_empty_axes', 0) === 1) return dy(ctx);
    axes = Array.from({ length: rank }, (_v, i) => i);
  }
  let g = dy(ctx);
  if (mean) {
    let count = 1;
    for (const a of axes) {
      const d = shape[a];
      if (typeof d !== 'number') throw new GradRuleError(`the reduced axis ${a} of ${x} must be static`);
      count *= d;
    }
    g = e.scale(g, 1 / count);
  }
  if (intAttr(ctx.node, 'keepdims', 1) === 0) {
    const kept: Dim[] = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    g = e.op(
      'Unsqueeze',
      [g, e.ints([...axes].sort((a, b) => a - b))],
      {},
      { dtype: e.dtype(g), shape: kept },
    );
  }
  const target = shape.every((d) => typeof d === 'number') ? e.ints(shape as number[]) : e.op('Shape', [x]);
  return e.op('Expand', [g, target], {}, e.fact(x));
}
