/**
 * Conv (any spatial rank, strides, pads, dilations, groups):
 * - 2-D, ungrouped convs with static shapes go through channel rows (conv-rows.ts): dW as one Gemm of g
 *   against the input unfolded by one Gather, and dX for stride 1 as one Gemm of g's rows unfolded the
 *   transposed way against the flipped kernel.
 * - Otherwise dX is a ConvTranspose of g with the same weight and attributes (output_padding restores
 *   the rows a strided conv dropped), and dW a Conv that treats input channels as the batch and the
 *   batch as channels: X laid out as [C/group, group·N, …] convolved with g laid out as [O, N, …]
 *   (strides and dilations swapped), giving [C/group, O, …], transposed to W's [O, C/group, …] layout,
 *   rows past the kernel sliced off.
 * - dBias sums g over batch and space.
 */
import { dy, gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { intAttr, intsAttr, stringAttr } from '../../attributes.js';
import type { Emitter } from '../emitter.js';
import type { Attribute } from '../../ir.js';
import { GradRuleError } from '../errors.js';
import { RowsConv } from './conv-rows.js';
import type { ConvGeometry } from './conv-rows.js';

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
  const geometry: ConvGeometry = {
    kernel,
    strides: intsAttr(node, 'strides') ?? ones,
    dilations: intsAttr(node, 'dilations') ?? ones,
    pads: intsAttr(node, 'pads') ?? new Array<number>(2 * spatial).fill(0),
    group: intAttr(node, 'group', 1),
  };
  const b = node.inputs[2];
  const bias = b !== undefined && b !== '' ? b : undefined;
  const rows = RowsConv.of(e, x, g, geometry);

  let dx: string | undefined;
  if (ctx.needs[0]) dx = rows?.inputGrad(w) ?? transposedInputGrad(e, x, g, w, geometry);

  let dw: string | undefined;
  if (ctx.needs[1]) dw = rows?.weightGrad(x) ?? transposedWeightGrad(e, x, g, geometry);

  const db =
    ctx.needs[2] && bias !== undefined
      ? e.reduceSum(g, [0, ...Array.from({ length: spatial }, (_v, i) => i + 2)], false)
      : undefined;
  return [dx, dw, db];
});

/** dX as a ConvTranspose of g with the conv's own weight and attributes. */
function transposedInputGrad(e: Emitter, x: string, g: string, w: string, geo: ConvGeometry): string {
  const { kernel, strides, dilations, pads, group } = geo;
  const spatial = kernel.length;
  const strided = strides.some((s) => s !== 1);
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
  return e.op('ConvTranspose', [g, w], attributes, e.fact(x));
}

/** dW as a Conv over transposed tensors (any rank, groups, dynamic batch). */
function transposedWeightGrad(e: Emitter, x: string, g: string, geo: ConvGeometry): string {
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
