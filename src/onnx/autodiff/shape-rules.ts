/**
 * Shape rules for ops that forward graphs may use and shape inference does not cover yet (Sum). They
 * are registered only where src/onnx has no rule of its own for the op: the toolkit's rule wins.
 */
import { broadcastShapes, registerShapeRule } from '../shape-inference.js';
import type { ShapeRule } from '../shape-inference.js';

const sum: ShapeRule = (_node, ins) => {
  const first = ins[0];
  if (first === undefined) return [{ dtype: 'float32' }];
  let shape = first.shape;
  for (const i of ins.slice(1)) shape = shape && i?.shape ? broadcastShapes(shape, i.shape) : undefined;
  return [shape ? { dtype: first.dtype, shape } : { dtype: first.dtype }];
};

for (const [op, rule] of [['Sum', sum]] as const) {
  try {
    registerShapeRule(op, rule);
  } catch {
    // Already registered by the ONNX toolkit.
  }
}
