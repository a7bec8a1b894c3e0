/**
 * Static type and shape inference for the ops moe emits, with symbolic dims carried through (`batch`
 * stays `batch`). It also tracks the contents of small constant tensors (shape vectors, axes, scales) so
 * that Reshape(x, Shape(y)) and friends get exact output shapes. Ops without a rule yield unknown shapes;
 * `registerShapeRule` adds rules (for example for the ops a backward pass emits).
 */
import type { Attribute, DataType, Dim, Graph, Node, Shape, ValueInfo } from './ir.js';
import { UNKNOWN_DIM } from './ir.js';
import { dataTypeFromOnnx } from './dtype.js';

/** What is known about a value: its type, its shape when known, and its contents when small and constant. */
export interface ValueFacts {
  readonly dtype: DataType;
  readonly shape?: Shape;
  /** The elements of a small 1-D or scalar tensor, when known statically (dims may be symbolic). */
  readonly value?: readonly Dim[];
}

export type ShapeRule = (node: Node, inputs: readonly (ValueFacts | undefined)[]) => ValueFacts[];

const rules = new Map<string, ShapeRule>();

/** Adds the shape rule for an op; an op can have one rule only. */
export function registerShapeRule(op: string, rule: ShapeRule): void {
  if (rules.has(op)) throw new Error(`shape rule for ${op} already registered`);
  rules.set(op, rule);
}

export function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.type === 'int' ? a.value : fallback;
}

export function intsAttr(node: Node, name: string): readonly number[] | undefined {
  const a = node.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
}

/** Infers output facts for one node; unknown ops give outputs of the first input's dtype, shape unknown. */
export function inferNode(node: Node, inputs: readonly (ValueFacts | undefined)[]): ValueFacts[] {
  const rule = rules.get(node.op);
  if (rule !== undefined) {
    try {
      return rule(node, inputs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`shape inference for ${node.op} node ${node.name}: ${msg}`, { cause: e });
    }
  }
  const dtype = inputs[0]?.dtype ?? 'float32';
  return node.outputs.map(() => ({ dtype }));
}

/** Runs inference over a graph (nodes in topological order) and returns facts for every value. */
export function inferShapes(graph: Graph): Map<string, ValueFacts> {
  const facts = new Map<string, ValueFacts>();
  for (const v of graph.inputs)
    facts.set(v.name, v.shape ? { dtype: v.dtype, shape: v.shape } : { dtype: v.dtype });
  for (const t of graph.initializers) {
    const value =
      t.data.kind === 'inline' && t.dims.length <= 1 && t.dims.every((d) => d <= 64)
        ? smallValue(t.data.array)
        : undefined;
    facts.set(t.name, value ? { dtype: t.dtype, shape: t.dims, value } : { dtype: t.dtype, shape: t.dims });
  }
  for (const n of graph.nodes) {
    const outs = inferNode(
      n,
      n.inputs.map((i) => (i === '' ? undefined : facts.get(i))),
    );
    n.outputs.forEach((o, k) => {
      const f = outs[k];
      if (o !== '' && f !== undefined) facts.set(o, f);
    });
  }
  return facts;
}

/** The valueInfo entries a graph should carry for its intermediates. */
export function valueInfoOf(graph: Graph, facts: Map<string, ValueFacts>): ValueInfo[] {
  const out: ValueInfo[] = [];
  const skip = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  for (const n of graph.nodes) {
    for (const o of n.outputs) {
      const f = facts.get(o);
      if (o === '' || skip.has(o) || f === undefined) continue;
      out.push(f.shape ? { name: o, dtype: f.dtype, shape: f.shape } : { name: o, dtype: f.dtype });
    }
  }
  return out;
}

export function smallValue(a: ArrayLike<number | bigint>): Dim[] | undefined {
  if (a.length > 64) return undefined;
  return Array.from(a, (x) => Number(x));
}

// ---------------------------------------------------------------------------------------------------
// Dim arithmetic

export function dimEq(a: Dim, b: Dim): boolean {
  return a === b && a !== UNKNOWN_DIM;
}

export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (dimEq(x, y)) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number')
      throw new Error(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    // A size above 1 wins; otherwise prefer a named symbol over an unknown (valid graphs broadcast to it).
    else if (typeof x === 'number' || typeof y === 'number') out.push(typeof x === 'number' ? x : y);
    else out.push(x === UNKNOWN_DIM ? y : x === y || y === UNKNOWN_DIM ? x : UNKNOWN_DIM);
  }
  return out;
}

function dimMul(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : UNKNOWN_DIM;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Reshape's target: 0 copies the input dim (unless allowzero), -1 takes what is left. */
export function reshapeTarget(input: Shape, target: readonly Dim[], allowZero = false): Shape {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input[i] ?? UNKNOWN_DIM) : d));
  const inferIdx = out.indexOf(-1);
  if (inferIdx < 0) return out;
  // Cancel symbols that appear on both sides, then divide what is numeric.
  const rest = input.slice() as Dim[];
  let known = 1;
  let ok = true;
  for (let i = 0; i < out.length; i++) {
    if (i === inferIdx) continue;
    const d = out[i] as Dim;
    if (typeof d === 'number') known *= d;
    else {
      const j = rest.indexOf(d);
      if (j >= 0 && d !== UNKNOWN_DIM) rest.splice(j, 1);
      else ok = false;
    }
  }
  let total = 1;
  const symbols: Dim[] = [];
  for (const d of rest) {
    if (typeof d === 'number') total *= d;
    else symbols.push(d);
  }
  if (ok && symbols.length === 0) out[inferIdx] = total / known;
  else if (ok && symbols.length === 1 && total === known) out[inferIdx] = symbols[0] as Dim;
  else out[inferIdx] = UNKNOWN_DIM;
  return out;
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`${what} is not known`);
  return x;
}

function nums(v: readonly Dim[] | undefined, what: string): number[] {
  const arr = need(v, what);
  return arr.map((d) => {
    if (typeof d !== 'number') throw new Error(`${what} has a symbolic entry`);
    return d;
  });
}

// ---------------------------------------------------------------------------------------------------
// Rules

const same: ShapeRule = (node, ins) => {
  const x = need(ins[0], 'input 0');
  return node.outputs.map(() => (x.shape ? { dtype: x.dtype, shape: x.shape } : { dtype: x.dtype }));
};
for (const op of [
  'Identity',
  'Sigmoid',
  'Tanh',
  'Relu',
  'Erf',
  'Sqrt',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sin',
  'Cos',
  'Reciprocal',
  'Softmax',
  'LogSoftmax',
  'Gelu',
  'InstanceNormalization',
  'GroupNormalization',
  'LayerNormalization',
  'Sign',
  'Floor',
  'Ceil',
  'ScatterElements',
  'ScatterND',
  'Dropout',
])
  registerShapeRule(op, same);

function binaryValue(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a.length === 1 ? a[0] : a[i];
    const y = b.length === 1 ? b[0] : b[i];
    if (typeof x !== 'number' || typeof y !== 'number') {
      if (op === 'Mul' && (x === 1 || y === 1)) out.push(x === 1 ? (y as Dim) : (x as Dim));
      else out.push(UNKNOWN_DIM);
      continue;
    }
    out.push(op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : Math.trunc(x / y));
  }
  return out;
}

const broadcast: ShapeRule = (node, ins) => {
  const a = need(ins[0], 'input 0');
  const b = need(ins[1], 'input 1');
  const cmp = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Not'].includes(
    node.op,
  );
  const dtype: DataType = cmp ? 'bool' : a.dtype;
  if (a.shape === undefined || b.shape === undefined) return [{ dtype }];
  const shape = broadcastShapes(a.shape, b.shape);
  const value =
    a.value && b.value && a.dtype !== 'float32' && ['Add', 'Sub', 'Mul', 'Div'].includes(node.op)
      ? binaryValue(node.op, a.value, b.value)
      : undefined;
  return [value ? { dtype, shape, value } : { dtype, shape }];
};
for (const op of [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
]) {
  registerShapeRule(op, broadcast);
}

registerShapeRule('Where', (_n, ins) => {
  const c = need(ins[0], 'condition');
  const x = need(ins[1], 'input 1');
  const y = need(ins[2], 'input 2');
  if (!c.shape || !x.shape || !y.shape) return [{ dtype: x.dtype }];
  return [{ dtype: x.dtype, shape: broadcastShapes(c.shape, broadcastShapes(x.shape, y.shape)) }];
});

registerShapeRule('Cast', (node, ins) => {
  const x = need(ins[0], 'input');
  const dtype = need(dataTypeFromOnnx(intAttr(node, 'to', 0)), 'Cast target type');
  return [{ dtype, ...(x.shape ? { shape: x.shape } : {}), ...(x.value ? { value: x.value } : {}) }];
});

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

function convDim(input: Dim, k: number, stride: number, padSum: number, dilation: number): Dim {
  if (typeof input === 'number') return Math.floor((input + padSum - dilation * (k - 1) - 1) / stride) + 1;
  return stride === 1 && padSum === dilation * (k - 1) ? input : UNKNOWN_DIM;
}

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

function sliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  return [s, e];
}

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
    return typeof d === 'number' ? Math.floor(d * s) : UNKNOWN_DIM;
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
