/**
 * Shape rules for ops that forward graphs may use and shape inference does not cover yet (Sum, and
 * ArgMax/ArgMin, which CLIP's pooling uses: without them everything after the pooling has an unknown
 * shape). They are registered only where src/onnx has no rule of its own for the op: the toolkit's wins.
 */
import type { Dim } from '../ir.js';
import { intAttr } from '../attributes.js';
import { broadcastShapes, registerShapeRule } from '../shape-inference.js';
import type { ShapeRule } from '../shape-inference.js';

const sum: ShapeRule = (_node, ins) => {
  const first = ins[0];
  if (first === undefined) return [{ dtype: 'float32' }];
  let shape = first.shape;
  for (const i of ins.slice(1)) shape = shape && i?.shape ? broadcastShapes(shape, i.shape) : undefined;
  return [shape ? { dtype: first.dtype, shape } : { dtype: first.dtype }];
};

const argReduce: ShapeRule = (node, ins) => {
  const shape = ins[0]?.shape;
  if (shape === undefined) return [{ dtype: 'int64' }];
  const rank = shape.length;
  const raw = intAttr(node, 'axis', 0);
  const axis = raw < 0 ? raw + rank : raw;
  const keep = intAttr(node, 'keepdims', 1) === 1;
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (i !== axis) out.push(d);
    else if (keep) out.push(1);
  });
  return [{ dtype: 'int64', shape: out }];
};

for (const [op, rule] of [
  ['Sum', sum],
  ['ArgMax', argReduce],
  ['ArgMin', argReduce],
] as const) {
  try {
    registerShapeRule(op, rule);
  } catch {
    // Already registered by the ONNX toolkit.
  }
}
