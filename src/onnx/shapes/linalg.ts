/** Shape rules for MatMul, Gemm, Conv, ConvTranspose and the pools. */
import type { Dim } from '../ir.js';
import { UNKNOWN_DIM } from '../ir.js';
import { intAttr, intsAttr } from '../attributes.js';
import { registerShapeRule } from './registry.js';
import type { ShapeRule } from './registry.js';
import { broadcastShapes, convDim, dimMul, need } from './dims.js';

registerShapeRule('MatMul', (_n, ins) => {
  const a = need(ins[0], 'A');
  const b = need(ins[1], 'B');
  if (!a.shape || !b.shape) return [{ dtype: a.dtype }];
  const sa = a.shape.length === 1 ? [1, a.shape[0] as Dim] : a.shape;
  const sb = b.shape.length === 1 ? [b.shape[0] as Dim, 1] : b.shape;
  const ka = sa[sa.length - 1] as Dim;
  const kb = sb[sb.length - 2] as Dim;
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw new Error(`inner dims differ: [${a.shape.join(',')}] × [${b.shape.join(',')}]`);
  }
  const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.shape.length > 1) out.push(sa[sa.length - 2] as Dim);
  if (b.shape.length > 1) out.push(sb[sb.length - 1] as Dim);
  return [{ dtype: a.dtype, shape: out }];
});

registerShapeRule('Gemm', (node, ins) => {
  const a = need(need(ins[0], 'A').shape, 'A shape');
  const b = need(need(ins[1], 'B').shape, 'B shape');
  const m = intAttr(node, 'transA', 0) ? a[1] : a[0];
  const n = intAttr(node, 'transB', 0) ? b[0] : b[1];
  return [{ dtype: need(ins[0], 'A').dtype, shape: [m ?? UNKNOWN_DIM, n ?? UNKNOWN_DIM] }];
});

registerShapeRule('Conv', (node, ins) => {
  const x = need(ins[0], 'X');
  const w = need(need(ins[1], 'W').shape, 'W shape');
  if (!x.shape) return [{ dtype: x.dtype }];
  const spatial = x.shape.length - 2;
  const kernel = intsAttr(node, 'kernel_shape') ?? (w.slice(2) as number[]);
  const strides = intsAttr(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dil = intsAttr(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  const out: Dim[] = [x.shape[0] as Dim, w[0] as Dim];
  for (let i = 0; i < spatial; i++) {
    out.push(
      convDim(
        x.shape[2 + i] as Dim,
        kernel[i] ?? 1,
        strides[i] ?? 1,
        (pads[i] ?? 0) + (pads[i + spatial] ?? 0),
        dil[i] ?? 1,
      ),
    );
  }
  return [{ dtype: x.dtype, shape: out }];
});

/** AveragePool and MaxPool (no ceil_mode, no auto_pad): the Conv arithmetic over the kernel_shape window. */
const pool: ShapeRule = (node, ins) => {
  const x = need(ins[0], 'X');
  if (!x.shape) return [{ dtype: x.dtype }];
  const spatial = x.shape.length - 2;
  const kernel = intsAttr(node, 'kernel_shape') ?? [];
  const strides = intsAttr(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dil = intsAttr(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  if (kernel.length !== spatial || intAttr(node, 'ceil_mode', 0) !== 0) return [{ dtype: x.dtype }];
  const out: Dim[] = [x.shape[0] as Dim, x.shape[1] as Dim];
  for (let i = 0; i < spatial; i++) {
    const padSum = (pads[i] ?? 0) + (pads[i + spatial] ?? 0);
    out.push(convDim(x.shape[2 + i] as Dim, kernel[i] ?? 1, strides[i] ?? 1, padSum, dil[i] ?? 1));
  }
  return [{ dtype: x.dtype, shape: out }];
};
registerShapeRule('AveragePool', pool);
registerShapeRule('MaxPool', pool);

registerShapeRule('ConvTranspose', (node, ins) => {
  const x = need(ins[0], 'X');
  const w = need(need(ins[1], 'W').shape, 'W shape');
  if (!x.shape) return [{ dtype: x.dtype }];
  const spatial = x.shape.length - 2;
  const group = intAttr(node, 'group', 1);
  const outputShape = intsAttr(node, 'output_shape');
  const kernel = intsAttr(node, 'kernel_shape') ?? (w.slice(2) as number[]);
  const strides = intsAttr(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dil = intsAttr(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  const outPad = intsAttr(node, 'output_padding') ?? new Array<number>(spatial).fill(0);
  const out: Dim[] = [x.shape[0] as Dim, dimMul(w[1] as Dim, group)];
  for (let i = 0; i < spatial; i++) {
    const d = x.shape[2 + i] as Dim;
    if (outputShape) out.push(outputShape[i] ?? UNKNOWN_DIM);
    else if (typeof d === 'number') {
      const s = strides[i] ?? 1;
      out.push(
        s * (d - 1) +
          (outPad[i] ?? 0) +
          ((kernel[i] ?? 1) - 1) * (dil[i] ?? 1) +
          1 -
          (pads[i] ?? 0) -
          (pads[i + spatial] ?? 0),
      );
    } else out.push(UNKNOWN_DIM);
  }
  return [{ dtype: x.dtype, shape: out }];
});
