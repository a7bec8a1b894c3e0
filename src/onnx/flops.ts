/**
 * The arithmetic of a graph's matrix and convolution nodes (Conv, ConvTranspose, MatMul, Gemm), counted
 * as 2 floating-point operations per multiply-add from the static shapes shape inference gives. Other ops
 * (element-wise, normalisation, copies) are left out: they move memory rather than compute, so the count
 * divided by a run's time is the achieved GFLOP/s that compares with a large MatMul's.
 */
import type { Graph, Node } from './ir.js';
import { inferShapes } from './shape-inference.js';
import type { ValueFacts } from './shape-inference.js';

export interface FlopCount {
  /** Multiply-adds × 2 over the counted nodes. */
  readonly total: number;
  /** By op type: node count and FLOPs. */
  readonly byOp: ReadonlyMap<string, { readonly nodes: number; readonly flops: number }>;
  /** Counted ops whose shapes were not static (left out of the total). */
  readonly unknown: number;
}

const COUNTED = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

const product = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

function staticShape(f: ValueFacts | undefined): number[] | undefined {
  const s = f?.shape;
  return s !== undefined && s.every((d): d is number => typeof d === 'number') ? [...s] : undefined;
}

/** FLOPs of one counted node, or undefined when a shape it needs is not static. */
function nodeFlops(node: Node, facts: ReadonlyMap<string, ValueFacts>): number | undefined {
  const shape = (i: number): number[] | undefined => staticShape(facts.get(node.inputs[i] ?? ''));
  const out = staticShape(facts.get(node.outputs[0] ?? ''));
  switch (node.op) {
    case 'Conv': {
      // Every output element: (C / group) · kernel multiply-adds.
      const w = shape(1);
      if (w === undefined || out === undefined) return undefined;
      return 2 * product(out) * product(w.slice(1));
    }
    case 'ConvTranspose': {
      // Every input element scatters into (C_out / group) · kernel outputs; W is [C_in, C_out/group, …].
      const x = shape(0);
      const w = shape(1);
      if (x === undefined || w === undefined) return undefined;
      return 2 * product(x) * product(w.slice(1));
    }
    case 'MatMul': {
      const a = shape(0);
      if (a === undefined || out === undefined || a.length === 0) return undefined;
      return 2 * product(out) * (a[a.length - 1] as number);
    }
    case 'Gemm': {
      const a = shape(0);
      if (a === undefined || out === undefined || a.length !== 2) return undefined;
      const tA = node.attributes['transA'];
      const k = tA?.type === 'int' && tA.value === 1 ? a[0] : a[1];
      return 2 * product(out) * (k as number);
    }
    default:
      return 0;
  }
}

/** Counts the FLOPs of a graph's Conv, ConvTranspose, MatMul and Gemm nodes. */
export function countFlops(graph: Graph): FlopCount {
  const facts = inferShapes(graph);
  const byOp = new Map<string, { nodes: number; flops: number }>();
  let total = 0;
  let unknown = 0;
  for (const node of graph.nodes) {
    if (!COUNTED.has(node.op)) continue;
    const flops = nodeFlops(node, facts);
    if (flops === undefined) {
      unknown += 1;
      continue;
    }
    const entry = byOp.get(node.op) ?? { nodes: 0, flops: 0 };
    entry.nodes += 1;
    entry.flops += flops;
    byOp.set(node.op, entry);
    total += flops;
  }
  return { total, byOp, unknown };
}
