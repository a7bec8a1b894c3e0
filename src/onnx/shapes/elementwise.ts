/** Shape rules for element-wise ops: unary ops keep the shape, binary ops broadcast. */
import type { DataType, Dim } from '../ir.js';
import { UNKNOWN_DIM } from '../ir.js';
import { dataTypeFromOnnx } from '../dtype.js';
import { intAttr } from '../attributes.js';
import { registerShapeRule } from './registry.js';
import type { ShapeRule } from './registry.js';
import { broadcastShapes, need } from './dims.js';

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
