/**
 * Conv (any spatial rank, strides, pads, dilations, groups):
 * - dX is a ConvTranspose of g with the same weight and attributes; output_padding restores the rows a
 *   strided conv dropped.
 * - dW is a Conv that treats input channels as the batch and the batch as channels: X laid out as
 *   [C/group, group·N, …] convolved with g laid out as [O, N, …] (strides and dilations swapped), giving
 *   [C/group, O, …] which is transposed to W's [O, C/group, …] layout; rows past the kernel are sliced off.
 * - dBias sums g over batch and space.
 */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { intAttrOf, intsAttrOf, stringAttrOf } from '../emitter.js';
import { GradRuleError } from '../errors.js';

export const convGrad: GradRule = {
  op: 'Conv',
  grad: (ctx) => {
    const e = ctx.e;
    const g = dy(ctx);
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const node = ctx.node;
    if (stringAttrOf(node, 'auto_pad', 'NOTSET') !== 'NOTSET') {
      throw new GradRuleError('auto_pad is not supported; give explicit pads');
    }
    const wShape = e.shape(w);
    const spatial = wShape.length - 2;
    const kernel = intsAttrOf(node, 'kernel_shape') ?? (wShape.slice(2) as number[]);
    if (kernel.some((k) => typeof k !== 'number')) throw new GradRuleError('the kernel shape must be static');
    const ones = new Array<number>(spatial).fill(1);
    const strides = intsAttrOf(node, 'strides') ?? ones;
    const dilations = intsAttrOf(node, 'dilations') ?? ones;
    const pads = intsAttrOf(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
    const group = intAttrOf(node, 'group', 1);
    const strided = strides.some((s) => s !== 1);

    let dx: string | undefined;
    if (ctx.needs[0]) {
      const attributes: Record<string, ReturnType<typeof attr.int>> = {
        kernel_shape: attr.ints(kernel),
        pads: attr.ints(pads),
      };
      if (strided) attributes['strides'] = attr.ints(strides);
      if (dilations.some((d) => d !== 1)) attributes['dilations'] = attr.ints(dilations);
      if (group !== 1) attributes['group'] = attr.int(group);
      if (strided) {
        const xs = e.staticShape(x);
        const ys = e.staticShape(g);
        const outputPadding = kernel.map((k, i) => {
          const covered = ((ys[2 + i] as number) - 1) * (strides[i] ?? 1) + (k - 1) * (dilations[i] ?? 1) + 1;
          return (xs[2 + i] as number) + (pads[i] ?? 0) + (pads[i + spatial] ?? 0) - covered;
        });
        if (outputPadding.some((p) => p !== 0)) attributes['output_padding'] = attr.ints(outputPadding);
      }
      dx = e.op('ConvTranspose', [g, w], attributes, e.fact(x));
    }

    let dw: string | undefined;
    if (ctx.needs[1]) {
      const rest = Array.from({ length: spatial }, (_v, i) => i + 2);
      let xt: string;
      if (group === 1) xt = e.transpose(x, [1, 0, ...rest]);
      else {
        const xs = e.staticShape(x);
        const [n, c] = xs as [number, number];
        const grouped = e.reshape(x, [n, group, c / group, ...xs.slice(2)]);
        const moved = e.transpose(grouped, [2, 1, 0, ...rest.map((r) => r + 1)]);
        xt = e.reshape(moved, [c / group, group * n, ...xs.slice(2)]);
      }
      const gt = e.transpose(g, [1, 0, ...rest]);
      const attributes: Record<string, ReturnType<typeof attr.int>> = { pads: attr.ints(pads) };
      if (dilations.some((d) => d !== 1)) attributes['strides'] = attr.ints(dilations);
      if (strided) attributes['dilations'] = attr.ints(strides);
      if (group !== 1) attributes['group'] = attr.int(group);
      let corr = e.op('Conv', [xt, gt], attributes);
      if (strided) {
        corr = e.op('Slice', [corr, e.ints(rest.map(() => 0)), e.ints(kernel), e.ints(rest)]);
      }
      dw = e.transpose(corr, [1, 0, ...rest]);
    }

    const b = node.inputs[2];
    const db =
      ctx.needs[2] && b !== undefined && b !== ''
        ? e.reduceSum(g, [0, ...Array.from({ length: spatial }, (_v, i) => i + 2)], false)
        : undefined;
    return [dx, dw, db];
  },
};
