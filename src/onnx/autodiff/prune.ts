/**
 * Dead-code elimination for training graphs: keeps the nodes the outputs need (walking back from them),
 * the initializers those nodes read, and every graph input (a training graph keeps its input contract).
 */
import type { Graph, Node } from '../ir.js';

export function pruneGraph(graph: Graph): Graph {
  const needed = new Set(graph.outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i] as Node;
    if (!n.outputs.some((o) => o !== '' && needed.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) if (x !== '') needed.add(x);
  }
  kept.reverse();
  const produced = new Set(kept.flatMap((n) => n.outputs));
  const io = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  return {
    ...graph,
    nodes: kept,
    initializers: graph.initializers.filter((t) => needed.has(t.name)),
    valueInfo: graph.valueInfo.filter((v) => produced.has(v.name) && !io.has(v.name)),
    weights: graph.weights,
  };
}
