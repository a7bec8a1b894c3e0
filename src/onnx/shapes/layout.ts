/**
 * Shape rules for ops that move data around or compute shapes: Reshape, Transpose, Concat, Slice, Split,
 * Resize, Expand, (Un)Squeeze, reductions, Shape, Gather, Constant(OfShape). They also propagate the
 * contents of small integer tensors, so shape arithmetic done in the graph stays static.
 */
import type { Attribute, DataType, Dim, Shape } from '../ir.js';
import { UNKNOWN_DIM } from '../ir.js';
import { intAttr, intsAttr } from '../attributes.js';
import { registerShapeRule } from './registry.js';
import type { ShapeRule } from './registry.js';
import {
  broadcastShapes,
  dimMul,
  mulDim,
  need,
  normAxis,
  nums,
  reshapeTarget,
  sliceRange,
  smallValue,
} from './dims.js';

registerShapeRule('Reshape', (node, ins) => {
  const x = need(ins[0], 'data');
  const target = need(ins[1], 'shape').value;
  if (!target) return [{ dtype: x.dtype }];
  if (!x.shape)
    return [{ dtype: x.dtype, shape: target.map((d) => (d === -1 || d === 0 ? UNKNOWN_DIM : d)) }];
  const shape = reshapeTarget(x.shape, target, intAttr(node, 'allowzero', 0) === 1);
  return [x.value ? { dtype: x.dtype, shape, value: x.value } : { dtype: x.dtype, shape }];
});

registerShapeRule('Flatten', (node, ins) => {
  const x = need(ins[0], 'input');
  if (!x.shape) return [{ dtype: x.dtype }];
  const axis = normAxis(intAttr(node, 'axis', 1), x.shape.length + 1);
  const prod = (s: readonly Dim[]): Dim => s.reduce<Dim>((p, d) => dimMul(p, d), 1);
  return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
});

registerShapeRule('Transpose', (node, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: x.dtype }];
  const s = x.shape;
  const perm = intsAttr(node, 'perm') ?? s.map((_d, i) => s.length - 1 - i);
  return [{ dtype: x.dtype, shape: perm.map((p) => s[p] ?? UNKNOWN_DIM) }];
});

registerShapeRule('Concat', (node, ins) => {
  const first = need(ins[0], 'input 0');
  if (ins.some((i) => !i?.shape)) return [{ dtype: first.dtype }];
  const shapes = ins.map((i) => i?.shape as Shape);
  const rank = (shapes[0] as Shape).length;
  const axis = normAxis(intAttr(node, 'axis', 0), rank);
  const out = (shapes[0] as Shape).slice() as Dim[];
  out[axis] = shapes.reduce<Dim>((sum, s) => {
    const d = s[axis] as Dim;
    return typeof sum === 'number' && typeof d === 'number' ? sum + d : UNKNOWN_DIM;
  }, 0);
  const values = ins.map((i) => i?.value);
  const value =
    rank === 1 && values.every((v) => v !== undefined) ? values.flatMap((v) => v as Dim[]) : undefined;
  return [value ? { dtype: first.dtype, shape: out, value } : { dtype: first.dtype, shape: out }];
});

registerShapeRule('Slice', (_n, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: x.dtype }];
  const starts = nums(ins[1]?.value, 'starts');
  const ends = nums(ins[2]?.value, 'ends');
  const axes = ins[3] ? nums(ins[3].value, 'axes') : starts.map((_s, i) => i);
  const steps = ins[4] ? nums(ins[4].value, 'steps') : starts.map(() => 1);
  const out = x.shape.slice() as Dim[];
  let value = x.value?.slice();
  axes.forEach((axisRaw, i) => {
    const axis = normAxis(axisRaw, out.length);
    const dim = out[axis] as Dim;
    const start = starts[i] ?? 0;
    const end = ends[i] ?? 0;
    const step = steps[i] ?? 1;
    if (typeof dim !== 'number') {
      // Slicing a symbolic axis over its whole extent keeps it; anything else is unknown.
      out[axis] = start === 0 && end >= 2 ** 31 - 1 && step === 1 ? dim : UNKNOWN_DIM;
      return;
    }
    const [s, e] = sliceRange(dim, start, end, step);
    out[axis] = Math.max(0, Math.ceil((e - s) / step));
    if (value && out.length === 1) {
      const picked: Dim[] = [];
      for (let k = s; step > 0 ? k < e : k > e; k += step) picked.push(value[k] as Dim);
      value = picked;
    }
  });
  return [value ? { dtype: x.dtype, shape: out, value } : { dtype: x.dtype, shape: out }];
});

/** Pad with its pads as a constant input (no axes input): each axis grows by its two pads. */
registerShapeRule('Pad', (_n, ins) => {
  const x = need(ins[0], 'data');
  const pads = ins[1]?.value;
  if (!x.shape || pads === undefined || (ins[3] !== undefined && ins[3] !== null))
    return [{ dtype: x.dtype }];
  const p = nums(pads, 'pads');
  const rank = x.shape.length;
  if (p.length !== 2 * rank) throw new Error(`pads has ${p.length} entries for a rank-${rank} input`);
  const shape = x.shape.map((d, i) =>
    typeof d === 'number'
      ? d + (p[i] ?? 0) + (p[i + rank] ?? 0)
      : p[i] === 0 && p[i + rank] === 0
        ? d
        : UNKNOWN_DIM,
  );
  return [{ dtype: x.dtype, shape }];
});

registerShapeRule('Split', (node, ins) => {
  const x = need(ins[0], 'input');
  if (!x.shape) return node.outputs.map(() => ({ dtype: x.dtype }));
  const axis = normAxis(intAttr(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis] as Dim;
  let sizes: Dim[];
  if (ins[1]) sizes = nums(ins[1].value, 'split');
  else {
    const n = intAttr(node, 'num_outputs', node.outputs.length);
    sizes =
      typeof dim === 'number'
        ? new Array<number>(n).fill(Math.ceil(dim / n)).map((c, i) => Math.min(c, dim - c * i))
        : new Array<Dim>(n).fill(UNKNOWN_DIM);
  }
  return sizes.map((d) => {
    const s = x.shape?.slice() as Dim[];
    s[axis] = d;
    return { dtype: x.dtype, shape: s };
  });
});

registerShapeRule('Resize', (_n, ins) => {
  const x = need(ins[0], 'X');
  if (!x.shape) return [{ dtype: x.dtype }];
  const sizes = ins[3]?.value;
  if (sizes) return [{ dtype: x.dtype, shape: sizes }];
  const scales = nums(ins[2]?.value, 'scales');
  const shape = x.shape.map((d, i) => {
    const s = scales[i] ?? 1;
    if (s === 1) return d;
    if (typeof d === 'number') return Math.floor(d * s);
    return Number.isInteger(s) ? mulDim(d, s) : UNKNOWN_DIM;
  });
  return [{ dtype: x.dtype, shape }];
});

registerShapeRule('Expand', (_n, ins) => {
  const x = need(ins[0], 'input');
  const target = ins[1]?.value;
  if (!x.shape || !target) return [{ dtype: x.dtype }];
  return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target) }];
});

registerShapeRule('Unsqueeze', (_n, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: x.dtype }];
  const rank = x.shape.length + nums(ins[1]?.value, 'axes').length;
  const axes = new Set(nums(ins[1]?.value, 'axes').map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : (x.shape[k++] as Dim));
  return [x.value ? { dtype: x.dtype, shape: out, value: x.value } : { dtype: x.dtype, shape: out }];
});

registerShapeRule('Squeeze', (_n, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: x.dtype }];
  const s = x.shape;
  const axes = ins[1]
    ? new Set(nums(ins[1].value, 'axes').map((a) => normAxis(a, s.length)))
    : new Set(s.flatMap((d, i) => (d === 1 ? [i] : [])));
  const out = s.filter((_d, i) => !axes.has(i));
  return [x.value ? { dtype: x.dtype, shape: out, value: x.value } : { dtype: x.dtype, shape: out }];
});

const reduce: ShapeRule = (node, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: x.dtype }];
  const s = x.shape;
  const keep = intAttr(node, 'keepdims', 1) === 1;
  const axesList = ins[1] ? nums(ins[1].value, 'axes') : (intsAttr(node, 'axes') ?? []);
  const noop = intAttr(node, 'noop_with_empty_axes', 0) === 1;
  if (axesList.length === 0 && noop) return [{ dtype: x.dtype, shape: s }];
  const axes =
    axesList.length === 0
      ? new Set(s.map((_d, i) => i))
      : new Set(axesList.map((a) => normAxis(a, s.length)));
  const out: Dim[] = [];
  s.forEach((d, i) => {
    if (!axes.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ dtype: x.dtype, shape: out }];
};
for (const op of [
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceSumSquare',
  'ReduceL2',
  'ReduceProd',
])
  registerShapeRule(op, reduce);

registerShapeRule('Shape', (node, ins) => {
  const x = need(ins[0], 'data');
  if (!x.shape) return [{ dtype: 'int64' }];
  const rank = x.shape.length;
  const start = intAttr(node, 'start', 0);
  const end = intAttr(node, 'end', rank);
  const [s, e] = sliceRange(rank, start, end, 1);
  const value = x.shape.slice(s, e);
  return [{ dtype: 'int64', shape: [value.length], value }];
});

registerShapeRule('Gather', (node, ins) => {
  const x = need(ins[0], 'data');
  const idx = need(ins[1], 'indices');
  if (!x.shape || !idx.shape) return [{ dtype: x.dtype }];
  const axis = normAxis(intAttr(node, 'axis', 0), x.shape.length);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const iv = idx.value;
  const value =
    x.value && iv && x.shape.length === 1
      ? iv.map((i) =>
          typeof i === 'number' ? (x.value?.[i < 0 ? i + x.value.length : i] ?? UNKNOWN_DIM) : UNKNOWN_DIM,
        )
      : undefined;
  return [value ? { dtype: x.dtype, shape, value } : { dtype: x.dtype, shape }];
});

registerShapeRule('ConstantOfShape', (node, ins) => {
  const shape = ins[0]?.value;
  const t = node.attributes['value'];
  const dtype: DataType = t?.type === 'tensor' ? t.value.dtype : 'float32';
  return [shape ? { dtype, shape } : { dtype }];
});

registerShapeRule('Constant', (node) => {
  const t: Attribute | undefined = node.attributes['value'];
  if (t?.type !== 'tensor') throw new Error('Constant without a tensor value');
  const v =
    t.value.data.kind === 'inline' && t.value.dims.length <= 1 ? smallValue(t.value.data.array) : undefined;
  return [
    v
      ? { dtype: t.value.dtype, shape: t.value.dims, value: v }
      : { dtype: t.value.dtype, shape: t.value.dims },
  ];
});
