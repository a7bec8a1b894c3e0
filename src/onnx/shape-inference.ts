/**
 * Static type and shape inference for the ops moe emits, with symbolic dims carried through (`batch`
 * stays `batch`). It also tracks the contents of small constant tensors (shape vectors, axes, scales) so
 * that Reshape(x, Shape(y)) and friends get exact output shapes. Ops without a rule yield unknown shapes;
 * `registerShapeRule` adds rules (for example for the ops a backward pass emits).
 */
import type { Graph, Node, ValueInfo } from './ir.js';
import { shapeRule } from './shapes/registry.js';
import type { ValueFacts } from './shapes/registry.js';
import { smallValue } from './shapes/dims.js';
// The rule sets register themselves when loaded.
import './shapes/elementwise.js';
import './shapes/linalg.js';
import './shapes/layout.js';

export { registerShapeRule } from './shapes/registry.js';
export type { ShapeRule, ValueFacts } from './shapes/registry.js';
export { broadcastShapes, dimEq, reshapeTarget, smallValue } from './shapes/dims.js';

/** Infers output facts for one node; unknown ops give outputs of the first input's dtype, shape unknown. */
export function inferNode(node: Node, inputs: readonly (ValueFacts | undefined)[]): ValueFacts[] {
  const rule = shapeRule(node.op);
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
