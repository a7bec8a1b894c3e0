// A sweep's variants as one graph, pure data: each node appears once for every distinct assignment of
// the swept parameters it depends on (those its `with` reads, and those its upstream nodes depend on).
// A node that depends on none is shared by every variant and keeps its id; the others are named for what
// they depend on, `base[strength=0.25]`. The scheduler, the store and the journal then see an ordinary
// pipeline, and a shared node runs once.
import type { Assignment, Sweep } from '../pipeline/sweep.js';
import { variantLabel, variantsOf } from '../pipeline/sweep.js';
import type { ParamValue, Pipeline, PipelineNode } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import { nodeId } from '../util/brand.js';
import { paramsRead } from './template-refs.js';

export interface Variant {
  /** The swept values (and `include` extras) of this variant. */
  readonly params: Assignment;
  /** `strength=0.25`: the assignment as a label. */
  readonly label: string;
  /** Each node of the file → the node that stands for it in this variant. */
  readonly nodes: Readonly<Record<string, NodeId>>;
}

export interface ExpandedSweep {
  /** The graph of every variant's nodes, shared ones once. */
  readonly pipeline: Pipeline;
  readonly variants: readonly Variant[];
  /** The swept parameter names, in order. */
  readonly axes: readonly string[];
  /** The sweep expanded. */
  readonly sweep: Sweep;
  /** Each node of the expanded graph → the labels of the variants it serves. */
  readonly serves: ReadonlyMap<NodeId, readonly string[]>;
}

/** The expanded graph of `sweep` over `pipeline` (undefined when the sweep has no variant). */
export function expandSweep(pipeline: Pipeline, sweep: Sweep): ExpandedSweep | undefined {
  const assignments = variantsOf(sweep);
  if (assignments.length === 0) return undefined;
  const axes = [...sweep.axes.map(([n]) => n)];
  for (const a of assignments) for (const k of Object.keys(a)) if (!axes.includes(k)) axes.push(k);
  const varied = new Set(axes);

  // The swept parameters each node depends on, directly or through its upstream nodes.
  const depends = new Map<NodeId, string[]>();
  for (const id of pipeline.order) {
    const node = pipeline.nodes.get(id);
    if (!node) continue;
    const set = new Set(paramsRead(node.with).filter((p) => varied.has(p)));
    for (const u of node.needs) for (const p of depends.get(u) ?? []) set.add(p);
    depends.set(
      id,
      axes.filter((a) => set.has(a)),
    );
  }

  const nodes = new Map<NodeId, PipelineNode>();
  const order: NodeId[] = [];
  const serves = new Map<NodeId, string[]>();
  const variants: Variant[] = assignments.map((params) => ({
    params,
    label: variantLabel(
      params,
      axes.filter((a) => a in params),
    ),
    nodes: {},
  }));
  for (const id of pipeline.order) {
    const node = pipeline.nodes.get(id);
    if (!node) continue;
    const on = depends.get(id) ?? [];
    for (const v of variants) {
      const key = on.filter((p) => p in v.params);
      const own = key.length === 0 ? id : nodeId(`${id}[${variantLabel(v.params, key)}]`);
      (v.nodes as Record<string, NodeId>)[id] = own;
      serves.set(own, [...(serves.get(own) ?? []), v.label]);
      if (nodes.has(own)) continue;
      order.push(own);
      nodes.set(own, key.length === 0 ? node : variantNode(pipeline, node, own, v, key));
    }
  }
  return {
    pipeline: { ...pipeline, nodes, order },
    variants,
    axes,
    sweep,
    serves,
  };
}

function variantNode(
  pipeline: Pipeline,
  node: PipelineNode,
  id: NodeId,
  v: Variant,
  key: readonly string[],
): PipelineNode {
  const params = new Map<string, ParamValue>(pipeline.params);
  for (const k of key) {
    const value = v.params[k];
    if (value !== undefined) params.set(k, value);
  }
  const upstreamAs: Record<string, NodeId> = {};
  for (const u of node.needs) upstreamAs[u] = v.nodes[u] ?? u;
  return {
    ...node,
    // A getter of a packed node, which the spread leaves out.
    with: node.with,
    id,
    origin: node.id,
    params,
    upstreamAs,
    needs: node.needs.map((u) => v.nodes[u] ?? u),
  };
}
