/** Slice (unit steps): the gradient padded with zeros back to the input's extent (one Pad node). */
import { dy, gradRule, input, intsInput } from '../rule.js';
import { normAxis } from '../emitter.js';
import { GradRuleError } from '../errors.js';

export const sliceGrad = gradRule('Slice', (ctx, e) => {
  const x = input(ctx, 0);
  const shape = e.shape(x);
  const rank = shape.length;
  const starts = intsInput(ctx, 1);
  const ends = intsInput(ctx, 2);
  const hasAxes = (ctx.node.inputs[3] ?? '') !== '';
  const hasSteps = (ctx.node.inputs[4] ?? '') !== '';
  const axes = hasAxes ? intsInput(ctx, 3) : starts.map((_s, i) => i);
  const steps = hasSteps ? intsInput(ctx, 4) : starts.map(() => 1);
  if (steps.some((s) => s !== 1)) throw new GradRuleError('only unit-step slices have a gradient rule');
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((raw, i) => {
    const axis = normAxis(raw, rank);
    const dim = shape[axis];
    if (typeof dim !== 'number')
      throw new GradRuleError(`the extent of ${x} along axis ${axis} must be static`);
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[i] ?? 0);
    const end = Math.max(clamp(ends[i] ?? dim), s);
    pads[axis] = s;
    pads[axis + rank] = dim - end;
  });
  return [e.op('Pad', [dy(ctx), e.ints(pads)], {}, e.fact(x))];
});
