/**
 * Conv (any spatial rank, strides, pads, dilations, groups):
 * - dX is a ConvTranspose of g with the same weight and attributes; output_padding restores the rows a
 *   strided conv dropped.
 * - dW, for 2-D convolutions with group 1 and static shapes, is one Gemm of g as [O, N·Ho·Wo] against the
 *   unfolded input (im2col: one strided Slice of the padded input per kernel tap, concatenated to
 *   [C·kh·kw, N·Ho·Wo]); measured 1.3–1.9× faster than the general form on the tiny UNet's layers.
 *   Otherwise it is a Conv that treats input channels as the batch and the batch as channels: X laid out
 *   as [C/group, group·N, …] convolved with g laid out as [O, N, …] (strides and dilations swapped),
 *   giving [C/group, O, …], transposed to W's [O, C/group, …] layout, rows past the kernel sliced off.
 * - dBias sums g over batch and space.
 */
import { dy, gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { intAttr, intsAttr, stringAttr } from '../../attributes.js';
import type { Emitter } from '../emitter.js';
import type { Attribute } from '../../ir.js';
import { GradRuleError } from '../errors.js';

export const convGrad = gradRule('Conv', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const node = ctx.node;
  if (stringAttr(node, 'auto_pad', 'NOTSET') !== 'NOTSET') {
    throw new GradRuleError('auto_pad is not supported; give explicit pads');
  }
  const wShape = e.shape(w);
  const spatial = wShape.length - 2;
  const kernel = intsAttr(node, 'kernel_shape') ?? (wShape.slice(2) as number[]);
  if (kernel.some((k) => typeof k !== 'number')) throw new GradRuleError('the kernel shape must be static');
  const ones = new Array<number>(spatial).fill(1);
  const strides = intsAttr(node, 'strides') ?? ones;
  const dilations = intsAttr(node, 'dilations') ?? ones;
  const pads = intsAttr(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  const group = intAttr(node, 'group', 1);
  const strided = strides.some((s) => s !== 1);

  let dx: string | undefined;
  if (ctx.needs[0]) {
    const attributes: Record<string, Attribute> = {
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
    const geometry = { kernel, strides, dilations, pads, group };
    dw = unfoldedWeightGrad(e, x, g, geometry) ?? transposedWeightGrad(e, x, g, geometry);
  }

  const b = node.inputs[2];
  const db =
    ctx.needs[2] && b !== undefined && b !== ''
      ? e.reduceSum(g, [0, ...Array.from({ length: spatial }, (_v, i) => i + 2)], false)
      : undefined;
  return [dx, dw, db];
});

interface Geometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly pads: readonly number[];
  readonly group: number;
}

/** The unfolded input may take this many elements at most (1 GiB of float32); larger convs use the Conv form. */
const MAX_UNFOLDED = 2 ** 28;

/** dW as im2col + Gemm, or undefined when the conv is not 2-D, grouped, or not static. */
function unfoldedWeightGrad(e: Emitter, x: string, g: string, geo: Geometry): string | undefined {
  const xs = e.shape(x);
  const ys = e.shape(g);
  if (geo.group !== 1 || xs.length !== 4 || ![...xs, ...ys].every((d) => typeof d === 'number'))
    return undefined;
  const [n, c, h, w] = xs as [number, number, number, number];
  const [, o, ho, wo] = ys as [number, number, number, number];
  const [kh, kw] = geo.kernel as [number, number];
  const [sh, sw] = geo.strides as [number, number];
  const [dh, dw] = geo.dilations as [number, number];
  const [pt, pl, pb, pr] = geo.pads as [number, number, number, number];
  const taps = kh * kw;
  const columns = n * ho * wo;
  if (c * taps * columns > MAX_UNFOLDED) return undefined;
  const g2 = e.reshape(e.transpose(g, [1, 0, 2, 3]), [o, columns]);
  const padded =
    pt + pl + pb + pr === 0
      ? x
      : e.op(
          'Pad',
          [x, e.ints([0, 0, pt, pl, 0, 0, pb, pr])],
          {},
          { dtype: e.dtype(x), shape: [n, c, h + pt + pb, w + pl + pr] },
        );
  const channelsFirst = e.transpose(padded, [1, 0, 2, 3]);
  const parts: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const top = i * dh;
      const left = j * dw;
      const tap = e.op('Slice', [
        channelsFirst,
        e.ints([top, left]),
        e.ints([top + (ho - 1) * sh + 1, left + (wo - 1) * sw + 1]),
        e.ints([2, 3]),
        e.ints([sh, sw]),
      ]);
      parts.push(e.reshape(tap, [c, 1, columns]));
    }
  }
  const stacked =
    parts.length === 1
      ? (parts[0] as string)
      : e.op('Concat', parts, { axis: attr.int(1) }, { dtype: e.dtype(x), shape: [c, taps, columns] });
  const cols = e.reshape(stacked, [c * taps, columns]);
  return e.reshape(e.gemm(g2, cols, false, true), [o, c, kh, kw]);
}

/** dW as a Conv over transposed tensors (any rank, groups, dynamic batch). */
function transposedWeightGrad(e: Emitter, x: string, g: string, geo: Geometry): string {
  const spatial = geo.kernel.length;
  const rest = Array.from({ length: spatial }, (_v, i) => i + 2);
  const strided = geo.strides.some((s) => s !== 1);
  let xt: string;
  if (geo.group === 1) xt = e.transpose(x, [1, 0, ...rest]);
  else {
    const xs = e.staticShape(x);
    const [n, c] = xs as [number, number];
    const grouped = e.reshape(x, [n, geo.group, c / geo.group, ...xs.slice(2)]);
    const moved = e.transpose(grouped, [2, 1, 0, ...rest.map((r) => r + 1)]);
    xt = e.reshape(moved, [c / geo.group, geo.group * n, ...xs.slice(2)]);
  }
  const gt = e.transpose(g, [1, 0, ...rest]);
  const attributes: Record<string, Attribute> = { pads: attr.ints(geo.pads) };
  if (geo.dilations.some((d) => d !== 1)) attributes['strides'] = attr.ints(geo.dilations);
  if (strided) attributes['dilations'] = attr.ints(geo.strides);
  if (geo.group !== 1) attributes['group'] = attr.int(geo.group);
  let corr = e.op('Conv', [xt, gt], attributes);
  if (strided) corr = e.op('Slice', [corr, e.ints(rest.map(() => 0)), e.ints(geo.kernel), e.ints(rest)]);
  return e.transpose(corr, [1, 0, ...rest]);
}
