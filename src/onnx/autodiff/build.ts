/**
 * Reverse-mode autodiff over an ONNX graph: from a forward graph and a scalar loss value, a training
 * graph with the same inputs that also outputs `grad.<name>` for each differentiated value. Only nodes on
 * a path from a differentiated value to the loss get a backward; each op's backward comes from its rule
 * and uses standard ONNX ops only, so the result runs on any onnxruntime build.
 */
import type { DataType, Graph, Node, Tensor, ValueInfo } from '../ir.js';
import { inferShapes } from '../shape-inference.js';
import type { ValueFacts } from '../shape-inference.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { Emitter } from './emitter.js';
import type { AutodiffError } from './errors.js';
import { GradRuleError } from './errors.js';
import type { GradContext } from './rule.js';
import type { GradRegistry } from './registry.js';
import { defaultGradRegistry } from './rules/index.js';
import { pruneGraph } from './prune.js';
import './shape-rules.js';

export interface TrainingGraphOptions {
  /** The scalar value to differentiate (rank 0, or one element). */
  readonly loss: string;
  /** Graph inputs or initializers to differentiate the loss with respect to. */
  readonly wrt: readonly string[];
  /** Also output the forward graph's own outputs. @default true */
  readonly keepForwardOutputs?: boolean;
  /** @default 'grad.' */
  readonly gradPrefix?: string;
  /** @default the built-in rules */
  readonly rules?: GradRegistry;
}

const FLOAT = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** The name under which the gradient of `name` is output. */
export function gradName(name: string, prefix = 'grad.'): string {
  return `${prefix}${name}`;
}

export function buildTrainingGraph(
  forward: Graph,
  options: TrainingGraphOptions,
): Result<Graph, AutodiffError> {
  const prefix = options.gradPrefix ?? 'grad.';
  const registry = options.rules ?? defaultGradRegistry();
  let facts: Map<string, ValueFacts>;
  try {
    facts = inferShapes(forward);
  } catch (e) {
    return err({ reason: 'unsupported', message: e instanceof Error ? e.message : String(e) });
  }
  const nodes: Node[] = forward.nodes.map((n) => ({ ...n, outputs: [...n.outputs] }));
  const producers = new Map<string, Node>();
  nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  const constants = new Map(
    forward.initializers
      .filter((t) => t.data.kind === 'inline')
      .map((t) => [t.name, t.data.kind === 'inline' ? t.data.array : undefined] as const),
  );

  // -- checks ---------------------------------------------------------------------------------------
  const lossFacts = facts.get(options.loss);
  if (lossFacts === undefined) {
    return err({
      reason: 'unknown-value',
      message: `the loss ${options.loss} is not a value of graph ${forward.name}`,
    });
  }
  if (!FLOAT.has(lossFacts.dtype)) {
    return err({
      reason: 'not-float',
      message: `the loss ${options.loss} is ${lossFacts.dtype}, not a float`,
    });
  }
  const lossShape = lossFacts.shape;
  if (lossShape === undefined || lossShape.some((d) => d !== 1)) {
    return err({
      reason: 'not-scalar',
      message: `the loss ${options.loss} must be a scalar; its shape is ${lossShape ? `[${lossShape.join(', ')}]` : 'unknown'}`,
    });
  }
  const sources = new Set([...forward.inputs.map((v) => v.name), ...forward.initializers.map((t) => t.name)]);
  for (const w of options.wrt) {
    if (!sources.has(w)) {
      return err({
        reason: 'unknown-value',
        message: `${w} is not an input or initializer of graph ${forward.name}`,
      });
    }
    const d = facts.get(w)?.dtype;
    if (d === undefined || !FLOAT.has(d)) {
      return err({
        reason: 'not-float',
        message: `${w} is ${d ?? 'of unknown type'}; only float values have gradients`,
      });
    }
  }
  if (new Set(options.wrt).size !== options.wrt.length) {
    return err({ reason: 'duplicate-output', message: 'wrt names a value twice' });
  }

  // -- which values carry gradient ------------------------------------------------------------------
  const isFloat = (v: string): boolean => FLOAT.has(facts.get(v)?.dtype ?? 'int64');
  const fromWrt = new Set(options.wrt);
  for (const n of nodes) {
    if (n.inputs.some((i) => fromWrt.has(i)))
      for (const o of n.outputs) if (o !== '' && isFloat(o)) fromWrt.add(o);
  }
  const toLoss = new Set([options.loss]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] as Node;
    if (n.outputs.some((o) => toLoss.has(o))) for (const x of n.inputs) if (x !== '') toLoss.add(x);
  }

  // -- the backward sweep ---------------------------------------------------------------------------
  const taken = new Set<string>([...facts.keys(), ...nodes.map((n) => n.name)]);
  const e = new Emitter(facts, producers, taken);
  const contributions = new Map<string, string[]>();
  const contribute = (v: string, g: string): void => {
    const list = contributions.get(v);
    if (list) list.push(g);
    else contributions.set(v, [g]);
  };
  const gradOf = (v: string): string | undefined => {
    const list = contributions.get(v);
    if (list === undefined) return undefined;
    const g = e.sum(list);
    contributions.set(v, [g]);
    return g;
  };
  e.scope = 'loss';
  const seedArray = lossFacts.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1);
  if (lossFacts.dtype !== 'float32' && lossFacts.dtype !== 'float64') {
    return err({
      reason: 'not-float',
      message: `the loss ${options.loss} is ${lossFacts.dtype}; use float32 or float64`,
    });
  }
  contribute(options.loss, e.constant(seedArray, lossFacts.dtype, lossShape as number[]));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as Node;
    const onPath = node.outputs.some((o) => fromWrt.has(o) && toLoss.has(o));
    if (!onPath) continue;
    const needs = node.inputs.map((x) => x !== '' && fromWrt.has(x) && isFloat(x));
    if (!needs.some(Boolean)) continue;
    e.scope = node.name;
    const dy = node.outputs.map((o) => (o === '' ? undefined : gradOf(o)));
    if (dy.every((g) => g === undefined)) continue;
    const rule = registry.get(node.op);
    if (rule === undefined || (node.domain !== undefined && node.domain !== '')) {
      return err({
        reason: 'no-rule',
        op: node.op,
        node: node.name,
        message: `no gradient rule for op ${node.domain ? `${node.domain}.` : ''}${node.op} (node ${node.name}), which lies between the loss and the weights`,
      });
    }
    const ctx: GradContext = {
      node,
      e,
      dy,
      needs,
      forwardOutput: (index, f) => {
        const outs = node.outputs as string[];
        const existing = outs[index];
        if (existing !== undefined && existing !== '') return existing;
        while (outs.length <= index) outs.push('');
        let name = `${node.name}.out${index}`;
        for (let k = 1; taken.has(name); k++) name = `${node.name}.out${index}_${k}`;
        taken.add(name);
        outs[index] = name;
        facts.set(name, f);
        producers.set(name, node);
        return name;
      },
      constant: (name) => constants.get(name),
    };
    let grads: readonly (string | undefined)[];
    try {
      grads = rule.grad(ctx);
    } catch (x) {
      if (!(x instanceof GradRuleError)) throw x;
      return err({
        reason: 'unsupported',
        op: node.op,
        node: node.name,
        message: `cannot differentiate ${node.op} node ${node.name}: ${x.message}`,
      });
    }
    node.inputs.forEach((x, k) => {
      const g = grads[k];
      if (needs[k] && g !== undefined) contribute(x, g);
    });
  }

  // -- outputs --------------------------------------------------------------------------------------
  e.scope = 'outputs';
  const outputs: ValueInfo[] = [];
  const outNames = new Set<string>();
  const addOutput = (v: ValueInfo): void => {
    outNames.add(v.name);
    outputs.push(v);
  };
  addOutput({ name: options.loss, dtype: lossFacts.dtype, shape: lossShape });
  if (options.keepForwardOutputs ?? true) {
    for (const o of forward.outputs) if (!outNames.has(o.name)) addOutput(o);
  }
  const gradNodes: Node[] = [];
  for (const w of options.wrt) {
    const name = gradName(w, prefix);
    if (outNames.has(name) || taken.has(name)) {
      return err({
        reason: 'duplicate-output',
        message: `the gradient output ${name} clashes with an existing value`,
      });
    }
    const wf = facts.get(w) as ValueFacts;
    let g = gradOf(w);
    if (g === undefined) {
      // No path from w to the loss: its gradient is zero, as torch would leave it (None ~ zeros).
      let dims: number[];
      try {
        dims = e.staticShape(w);
      } catch (x) {
        if (!(x instanceof GradRuleError)) throw x;
        return err({ reason: 'unsupported', message: `${w} does not reach the loss and ${x.message}` });
      }
      g = e.op(
        'ConstantOfShape',
        [e.ints(dims)],
        { value: { type: 'tensor', value: zeroTensor(wf.dtype) } },
        { dtype: wf.dtype, shape: dims },
      );
    }
    gradNodes.push({
      op: 'Identity',
      name: `${name}.identity`,
      inputs: [g],
      outputs: [name],
      attributes: {},
    });
    addOutput(wf.shape ? { name, dtype: wf.dtype, shape: wf.shape } : { name, dtype: wf.dtype });
  }

  const graph: Graph = {
    ...forward,
    nodes: [...nodes, ...e.nodes, ...gradNodes],
    outputs,
    initializers: [...forward.initializers, ...e.initializers],
    valueInfo: forward.valueInfo,
  };
  return ok(pruneGraph(graph));
}

function zeroTensor(dtype: DataType): Tensor {
  const array = dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
  return {
    name: 'zero',
    dtype: dtype === 'float64' ? 'float64' : 'float32',
    dims: [1],
    data: { kind: 'inline', array },
  };
}
