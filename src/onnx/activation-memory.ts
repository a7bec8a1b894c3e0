/**
 * What a fused forward + backward graph holds in memory while it runs, counted from its inferred shapes
 * (no tensor is allocated): the forward values the backward nodes read (kept from the forward pass until
 * the backward uses them), and the peak of all intermediates alive at once when the nodes run in graph
 * order and each value is freed after its last reader. Graph inputs (the batch, fed weights) and
 * initializers are not counted; graph outputs are (the runtime allocates them).
 */
import type { Graph } from './ir.js';
import { dataTypeSize } from './dtype.js';
import { inferShapes } from './shape-inference.js';

export interface ActivationMemory {
  /** Bytes of the forward values that backward nodes read. */
  readonly savedBytes: number;
  /** How many such values. */
  readonly savedValues: number;
  /** The largest number of bytes of intermediates and outputs alive at once, in graph order. */
  readonly peakBytes: number;
  /** The node after which the peak is reached. */
  readonly peakAfter: string;
  /** The largest single saved value, by name and bytes. */
  readonly largestSaved: { readonly name: string; readonly bytes: number } | undefined;
  /** Saved bytes per top-level module (`down_blocks.1`, `mid_block`, …: the node name's first two parts). */
  readonly savedByModule: ReadonlyMap<string, number>;
  /** Saved bytes by the op that produced them (Softmax: attention maps). */
  readonly savedByOp: ReadonlyMap<string, number>;
}

/**
 * The same count under activation checkpointing as torch does it: the forward nodes of each unit (a
 * `unitOf` name: a resnet, a transformer block) keep only the unit's inputs, and the backward recomputes
 * one unit at a time, holding that unit's own saved tensors meanwhile.
 */
export interface CheckpointedMemory {
  /** Saved tensors outside every unit, plus each unit's inputs (each value once). */
  readonly keptBytes: number;
  /** The largest saved set of one unit: alive while that unit is recomputed and differentiated. */
  readonly largestUnitBytes: number;
  readonly largestUnit: string;
  readonly units: number;
}

/** A value's size in bytes; throws for a value whose shape is not fully static. */
function byteSizes(graph: Graph): Map<string, number> {
  const facts = inferShapes(graph);
  const sizes = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) {
      if (o === '') continue;
      const f = facts.get(o);
      const shape = f?.shape;
      if (f === undefined || shape === undefined || !shape.every((d) => typeof d === 'number')) {
        throw new Error(
          `${o} (output of ${n.op} node ${n.name}) has no static shape: build the graph with fixed sizes`,
        );
      }
      sizes.set(o, (shape as number[]).reduce((a, d) => a * d, 1) * dataTypeSize(f.dtype));
    }
  }
  return sizes;
}

function moduleOf(nodeName: string): string {
  const parts = nodeName.split('.');
  return /^\d+$/.test(parts[1] ?? '') ? `${parts[0]}.${parts[1]}` : (parts[0] ?? nodeName);
}

/**
 * Counts `training`'s activation memory. `forwardNodes` names the nodes of the forward pass (the training
 * graph's own copies of them); every other node is backward.
 */
export function activationMemory(training: Graph, forwardNodes: ReadonlySet<string>): ActivationMemory {
  const sizes = byteSizes(training);
  const producer = new Map<string, string>();
  const lastReader = new Map<string, number>();
  training.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== '') producer.set(o, n.name);
    for (const x of n.inputs) if (x !== '') lastReader.set(x, i);
  });
  const outputs = new Set(training.outputs.map((o) => o.name));

  const saved = new Set<string>();
  for (const n of training.nodes) {
    if (forwardNodes.has(n.name)) continue;
    for (const x of n.inputs) {
      const p = producer.get(x);
      if (p !== undefined && forwardNodes.has(p)) saved.add(x);
    }
  }
  let savedBytes = 0;
  let largestSaved: ActivationMemory['largestSaved'];
  const savedByModule = new Map<string, number>();
  const savedByOp = new Map<string, number>();
  const opOf = new Map(training.nodes.map((n) => [n.name, n.op]));
  for (const v of saved) {
    const bytes = sizes.get(v) ?? 0;
    savedBytes += bytes;
    if (largestSaved === undefined || bytes > largestSaved.bytes) largestSaved = { name: v, bytes };
    const m = moduleOf(producer.get(v) ?? v);
    savedByModule.set(m, (savedByModule.get(m) ?? 0) + bytes);
    const op = opOf.get(producer.get(v) ?? '') ?? '?';
    savedByOp.set(op, (savedByOp.get(op) ?? 0) + bytes);
  }

  // Liveness in graph order: a value is allocated when its node runs, freed after its last reader
  // (never, for a graph output); values nothing reads are freed right after their node.
  const freeAt = new Map<number, string[]>();
  training.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '' || outputs.has(o)) continue;
      const at = Math.max(i, lastReader.get(o) ?? i);
      const list = freeAt.get(at);
      if (list) list.push(o);
      else freeAt.set(at, [o]);
    }
  });
  let live = 0;
  let peakBytes = 0;
  let peakAfter = '';
  training.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== '') live += sizes.get(o) ?? 0;
    if (live > peakBytes) {
      peakBytes = live;
      peakAfter = n.name;
    }
    for (const o of freeAt.get(i) ?? []) live -= sizes.get(o) ?? 0;
  });
  return {
    savedBytes,
    savedValues: saved.size,
    peakBytes,
    peakAfter,
    largestSaved,
    savedByModule,
    savedByOp,
  };
}

/** The forward values that backward nodes read, with the name of the node producing each. */
function savedValues(training: Graph, forwardNodes: ReadonlySet<string>): Map<string, string> {
  const producer = new Map<string, string>();
  for (const n of training.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n.name);
  const saved = new Map<string, string>();
  for (const n of training.nodes) {
    if (forwardNodes.has(n.name)) continue;
    for (const x of n.inputs) {
      const p = producer.get(x);
      if (p !== undefined && forwardNodes.has(p)) saved.set(x, p);
    }
  }
  return saved;
}

/**
 * Counts `training`'s activations under checkpointing of the units `unitOf` names (undefined: not in a
 * unit). Saved values produced by an op in `dropOps` are not counted (a fused kernel that recomputes
 * them, as a flash-attention kernel does the Softmax's maps).
 */
export function checkpointedMemory(
  training: Graph,
  forwardNodes: ReadonlySet<string>,
  unitOf: (nodeName: string) => string | undefined,
  dropOps: ReadonlySet<string> = new Set(),
): CheckpointedMemory {
  const sizes = byteSizes(training);
  const opOf = new Map(training.nodes.map((n) => [n.name, n.op]));
  const producer = new Map<string, string>();
  for (const n of training.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n.name);
  const kept = new Set<string>();
  const perUnit = new Map<string, number>();
  for (const [v, p] of savedValues(training, forwardNodes)) {
    if (dropOps.has(opOf.get(p) ?? '')) continue;
    const u = unitOf(p);
    if (u === undefined) kept.add(v);
    else perUnit.set(u, (perUnit.get(u) ?? 0) + (sizes.get(v) ?? 0));
  }
  for (const n of training.nodes) {
    if (!forwardNodes.has(n.name)) continue;
    const u = unitOf(n.name);
    if (u === undefined) continue;
    for (const x of n.inputs) {
      const p = producer.get(x);
      if (p !== undefined && forwardNodes.has(p) && unitOf(p) !== u) kept.add(x);
    }
  }
  let keptBytes = 0;
  for (const v of kept) keptBytes += sizes.get(v) ?? 0;
  let largestUnitBytes = 0;
  let largestUnit = '';
  for (const [u, bytes] of perUnit) {
    if (bytes > largestUnitBytes) {
      largestUnitBytes = bytes;
      largestUnit = u;
    }
  }
  return { keptBytes, largestUnitBytes, largestUnit, units: perUnit.size };
}
