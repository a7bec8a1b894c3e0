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
  let facts: Map<string, ValueFacts>;
  try {
    facts = inferShapes(forward);
  } catch (e) {
    return err({ reason: 'unsupported', message: e instanceof Error ? e.message : String(e) });
  }
  const checked = checkLossAndWrt(forward, options, facts);
  if (!checked.ok) return checked;
  const backward = new Backward(forward, options, facts);
  const swept = backward.sweep(checked.value);
  if (!swept.ok) return swept;
  return backward.graph(checked.value);
}

/** The loss as the training graph outputs it: a float32 or float64 scalar. */
interface LossValue {
  readonly facts: ValueFacts;
  readonly shape: readonly (number | string)[];
}

/** The loss is a float scalar value of the graph; each wrt value is a float input or initializer, once. */
function checkLossAndWrt(
  forward: Graph,
  options: TrainingGraphOptions,
  facts: ReadonlyMap<string, ValueFacts>,
): Result<LossValue, AutodiffError> {
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
  return ok({ facts: lossFacts, shape: lossShape });
}

/** The state of one backward pass: the forward nodes (copied), value facts, and the gradients so far. */
class Backward {
  readonly nodes: Node[];
  readonly producers = new Map<string, Node>();
  readonly constants: ReadonlyMap<string, unknown>;
  /** Values that depend on a wrt value, and values the loss depends on: the nodes between get a backward. */
  readonly fromWrt: Set<string>;
  readonly toLoss: Set<string>;
  readonly taken: Set<string>;
  readonly e: Emitter;
  readonly contributions = new Map<string, string[]>();
  readonly registry: GradRegistry;

  constructor(
    readonly forward: Graph,
    readonly options: TrainingGraphOptions,
    readonly facts: Map<string, ValueFacts>,
  ) {
    this.nodes = forward.nodes.map((n) => ({ ...n, outputs: [...n.outputs] }));
    this.nodes.forEach((n) => n.outputs.forEach((o) => this.producers.set(o, n)));
    this.constants = new Map(
      forward.initializers
        .filter((t) => t.data.kind === 'inline')
        .map((t) => [t.name, t.data.kind === 'inline' ? t.data.array : undefined] as const),
    );
    this.fromWrt = new Set(options.wrt);
    for (const n of this.nodes) {
      if (n.inputs.some((i) => this.fromWrt.has(i)))
        for (const o of n.outputs) if (o !== '' && this.isFloat(o)) this.fromWrt.add(o);
    }
    this.toLoss = new Set([options.loss]);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i] as Node;
      if (n.outputs.some((o) => this.toLoss.has(o)))
        for (const x of n.inputs) if (x !== '') this.toLoss.add(x);
    }
    this.taken = new Set<string>([...facts.keys(), ...this.nodes.map((n) => n.name)]);
    this.e = new Emitter(facts, this.producers, this.taken);
    this.registry = options.rules ?? defaultGradRegistry();
  }

  isFloat(v: string): boolean {
    return FLOAT.has(this.facts.get(v)?.dtype ?? 'int64');
  }

  contribute(v: string, g: string): void {
    const list = this.contributions.get(v);
    if (list) list.push(g);
    else this.contributions.set(v, [g]);
  }

  /** The gradient of `v` so far, its contributions summed into one value. */
  gradOf(v: string): string | undefined {
    const list = this.contributions.get(v);
    if (list === undefined) return undefined;
    const g = this.e.sum(list);
    this.contributions.set(v, [g]);
    return g;
  }

  /** Seeds d loss / d loss = 1, then runs each node's rule from the last node to the first. */
  sweep(loss: LossValue): Result<void, AutodiffError> {
    const { e, options } = this;
    e.scope = 'loss';
    const seedArray = loss.facts.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1);
    if (loss.facts.dtype !== 'float32' && loss.facts.dtype !== 'float64') {
      return err({
        reason: 'not-float',
        message: `the loss ${options.loss} is ${loss.facts.dtype}; use float32 or float64`,
      });
    }
    this.contribute(options.loss, e.constant(seedArray, loss.facts.dtype, loss.shape as number[]));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const done = this.differentiate(this.nodes[i] as Node);
      if (!done.ok) return done;
    }
    return ok(undefined);
  }

  /** One node's backward: its rule's input gradients, added to what its inputs have so far. */
  differentiate(node: Node): Result<void, AutodiffError> {
    const onPath = node.outputs.some((o) => this.fromWrt.has(o) && this.toLoss.has(o));
    if (!onPath) return ok(undefined);
    const needs = node.inputs.map((x) => x !== '' && this.fromWrt.has(x) && this.isFloat(x));
    if (!needs.some(Boolean)) return ok(undefined);
    this.e.scope = node.name;
    const dy = node.outputs.map((o) => (o === '' ? undefined : this.gradOf(o)));
    if (dy.every((g) => g === undefined)) return ok(undefined);
    const rule = this.registry.get(node.op);
    if (rule === undefined || (node.domain !== undefined && node.domain !== '')) {
      return err({
        reason: 'no-rule',
        op: node.op,
        node: node.name,
        message: `no gradient rule for op ${node.domain ? `${node.domain}.` : ''}${node.op} (node ${node.name}), which lies between the loss and the weights`,
      });
    }
    let grads: readonly (string | undefined)[];
    try {
      grads = rule.grad(this.context(node, dy, needs));
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
      if (needs[k] && g !== undefined) this.contribute(x, g);
    });
    return ok(undefined);
  }

  /** What a rule sees of its node: the output gradients, which inputs need one, the emitter. */
  context(node: Node, dy: readonly (string | undefined)[], needs: readonly boolean[]): GradContext {
    return {
      node,
      e: this.e,
      dy,
      needs,
      forwardOutput: (index, f) => {
        const outs = node.outputs as string[];
        const existing = outs[index];
        if (existing !== undefined && existing !== '') return existing;
        while (outs.length <= index) outs.push('');
        let name = `${node.name}.out${index}`;
        for (let k = 1; this.taken.has(name); k++) name = `${node.name}.out${index}_${k}`;
        this.taken.add(name);
        outs[index] = name;
        this.facts.set(name, f);
        this.producers.set(name, node);
        return name;
      },
      rewriteForward: (op, inputs, attributes) => {
        const n = node as { op: string; inputs: readonly string[]; attributes: Node['attributes'] };
        n.op = op;
        n.inputs = [...inputs];
        n.attributes = attributes;
      },
      constant: (name) => this.constants.get(name) as ReturnType<GradContext['constant']>,
    };
  }

  /** The training graph: the loss, the forward outputs when kept, and `grad.<w>` for every wrt value. */
  graph(loss: LossValue): Result<Graph, AutodiffError> {
    const { e, options, forward } = this;
    e.scope = 'outputs';
    const outputs: ValueInfo[] = [];
    const outNames = new Set<string>();
    const addOutput = (v: ValueInfo): void => {
      outNames.add(v.name);
      outputs.push(v);
    };
    addOutput({ name: options.loss, dtype: loss.facts.dtype, shape: loss.shape });
    if (options.keepForwardOutputs ?? true) {
      for (const o of forward.outputs) if (!outNames.has(o.name)) addOutput(o);
    }
    const gradNodes: Node[] = [];
    for (const w of options.wrt) {
      const name = gradName(w, options.gradPrefix ?? 'grad.');
      if (outNames.has(name) || this.taken.has(name)) {
        return err({
          reason: 'duplicate-output',
          message: `the gradient output ${name} clashes with an existing value`,
        });
      }
      const wf = this.facts.get(w) as ValueFacts;
      const g = this.gradOf(w) ?? this.zeroGradient(w, wf);
      if (typeof g !== 'string') return g;
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
      nodes: [...this.nodes, ...e.nodes, ...gradNodes],
      outputs,
      initializers: [...forward.initializers, ...e.initializers],
      valueInfo: forward.valueInfo,
    };
    return ok(pruneGraph(graph));
  }

  /** No path from w to the loss: its gradient is zero, as torch would leave it (None ~ zeros). */
  zeroGradient(w: string, wf: ValueFacts): string | Result<never, AutodiffError> {
    let dims: number[];
    try {
      dims = this.e.staticShape(w);
    } catch (x) {
      if (!(x instanceof GradRuleError)) throw x;
      return err({ reason: 'unsupported', message: `${w} does not reach the loss and ${x.message}` });
    }
    return this.e.op(
      'ConstantOfShape',
      [this.e.ints(dims)],
      { value: { type: 'tensor', value: zeroTensor(wf.dtype) } },
      { dtype: wf.dtype, shape: dims },
    );
  }
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
