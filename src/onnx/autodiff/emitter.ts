/**
 * Emits the nodes of a backward pass: unique names under the forward node being differentiated, shared
 * small constants, static facts for every value (from shape inference, or given by the rule), and a few
 * peephole simplifications (a Transpose undoing a Transpose, a Reshape of a Reshape, a transposed Gemm)
 * so the backward graph carries no needless copies.
 */
import type { Attribute, DataType, Dim, Initializer, Node, Shape, TensorArray } from '../ir.js';
import { UNKNOWN_DIM } from '../ir.js';
import { attr, floatAttr, intAttr } from '../attributes.js';
import { inferNode } from '../shape-inference.js';
import type { ValueFacts } from '../shape-inference.js';
import { GradRuleError } from './errors.js';

export interface EmitOptions {
  /** Output count for multi-output ops. @default 1 */
  readonly outputs?: number;
  /** Facts of the outputs when shape inference has no rule for the op (or a better answer). */
  readonly facts?: readonly ValueFacts[];
}

export class Emitter {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  private readonly constants = new Map<string, string>();
  /** The forward node currently being differentiated: backward names start with it. */
  scope = 'loss';

  constructor(
    private readonly facts: Map<string, ValueFacts>,
    /** Every value's producer, forward and backward, for the peephole rules. */
    private readonly producers: Map<string, Node>,
    /** Value and node names already taken (forward graph and initializers). */
    private readonly taken: Set<string>,
  ) {}

  fact(name: string): ValueFacts {
    const f = this.facts.get(name);
    if (f === undefined) throw new GradRuleError(`nothing is known about value ${name}`);
    return f;
  }

  dtype(name: string): DataType {
    return this.fact(name).dtype;
  }

  /** The static shape of a value (dims may be symbolic); a rule needs at least the rank. */
  shape(name: string): Shape {
    const s = this.fact(name).shape;
    if (s === undefined) throw new GradRuleError(`the rank of ${name} is not known`);
    return s;
  }

  /** The shape of a value with every dim a number, or an error saying which value is not static. */
  staticShape(name: string): number[] {
    const s = this.shape(name);
    if (s.some((d) => typeof d !== 'number')) {
      throw new GradRuleError(`the shape of ${name} is [${s.join(', ')}]; this gradient needs it static`);
    }
    return s as number[];
  }

  /** The node that produces `name`, if any (graph inputs and initializers have none). */
  producer(name: string): Node | undefined {
    return this.producers.get(name);
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name) || this.taken.has(`${name}.out`); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  node(
    op: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: EmitOptions = {},
  ): string[] {
    const name = this.unique(`grad.${this.scope}.${op}`);
    const count = options.outputs ?? 1;
    const outputs = Array.from({ length: count }, (_v, i) =>
      count === 1 ? `${name}.out` : `${name}.out${i}`,
    );
    for (const o of outputs) this.taken.add(o);
    const node: Node = { op, name, inputs, outputs, attributes };
    const inferred =
      options.facts ??
      inferNode(
        node,
        inputs.map((i) => (i === '' ? undefined : this.facts.get(i))),
      );
    outputs.forEach((o, i) => {
      this.facts.set(o, inferred[i] ?? { dtype: this.dtype(inputs[0] ?? '') });
      this.producers.set(o, node);
    });
    this.nodes.push(node);
    return outputs;
  }

  op(
    op: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    facts?: ValueFacts,
  ): string {
    return this.node(op, inputs, attributes, facts ? { facts: [facts] } : {})[0] as string;
  }

  /** A constant initializer; small ones are shared by content. */
  constant(array: TensorArray, dtype: DataType, dims: readonly number[]): string {
    const small = array.length <= 16;
    const key = small
      ? `${dtype}.${dims.join('x')}.${Array.from(array as ArrayLike<number | bigint>).join('_')}`
      : '';
    const cached = small ? this.constants.get(key) : undefined;
    if (cached !== undefined) return cached;
    const name = this.unique(small ? `grad.const.${key}` : `grad.${this.scope}.const`);
    this.initializers.push({ name, dtype, dims, data: { kind: 'inline', array }, role: 'constant' });
    const value =
      dims.length <= 1 && array.length <= 64
        ? Array.from(array as ArrayLike<number | bigint>, Number)
        : undefined;
    this.facts.set(name, value ? { dtype, shape: dims, value } : { dtype, shape: dims });
    if (small) this.constants.set(key, name);
    return name;
  }

  /**
   * A constant shared by every rule that asks with the same `key` (which must determine its contents),
   * built by `make` the first time: large index tables that many layers of one geometry read.
   */
  sharedConstant(key: string, dtype: DataType, dims: readonly number[], make: () => TensorArray): string {
    const k = `shared:${key}`;
    const cached = this.constants.get(k);
    if (cached !== undefined) return cached;
    const name = this.constant(make(), dtype, dims);
    this.constants.set(k, name);
    return name;
  }

  /** A rank-0 constant of the given float dtype. */
  scalar(v: number, dtype: DataType): string {
    if (dtype === 'float64') return this.constant(Float64Array.of(v), dtype, []);
    if (dtype !== 'float32') throw new GradRuleError(`gradients of ${dtype} values are not supported`);
    return this.constant(Float32Array.of(v), dtype, []);
  }

  ints(values: readonly number[]): string {
    return this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      'int64',
      [values.length],
    );
  }

  // -- element-wise helpers -----------------------------------------------------------------------
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  neg(a: string): string {
    return this.op('Neg', [a]);
  }
  /** Multiplies by a constant (nothing emitted for 1). */
  scale(a: string, factor: number): string {
    if (factor === 1) return a;
    if (factor === -1) return this.neg(a);
    return this.mul(a, this.scalar(factor, this.dtype(a)));
  }

  /** Adds values of the same shape: the value itself for one, Sum for several. */
  sum(values: readonly string[]): string {
    if (values.length === 1) return values[0] as string;
    if (values.length === 0) throw new GradRuleError('sum of no values');
    const f = this.fact(values[0] as string);
    return this.op('Sum', values, {}, f);
  }

  // -- shape helpers ------------------------------------------------------------------------------
  /** Transposes, or returns the input of a Transpose that this one would undo. */
  transpose(x: string, perm: readonly number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const p = this.producer(x);
    if (p?.op === 'Transpose') {
      // Transpose(Transpose(x, inner), perm) = Transpose(x, inner∘perm): one copy, or none.
      const inner = permOf(p);
      if (inner !== undefined && inner.length === perm.length) {
        return this.transpose(
          p.inputs[0] as string,
          perm.map((q) => inner[q] as number),
        );
      }
    }
    // (a·b)ᵀ of a rank-2 Gemm without bias is the Gemm with operands swapped and transposes flipped.
    if (p?.op === 'Gemm' && p.inputs.length === 2 && perm.length === 2 && perm[0] === 1) {
      const tA = intAttr(p, 'transA');
      const tB = intAttr(p, 'transB');
      return this.gemm(
        p.inputs[1] as string,
        p.inputs[0] as string,
        tB === 0,
        tA === 0,
        floatAttr(p, 'alpha', 1),
      );
    }
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  /** Reshapes to a shape given as dims (0 and -1 with ONNX's meaning, symbolic dims via Shape(like)). */
  reshape(x: string, dims: readonly Dim[], like?: string): string {
    const current = this.fact(x).shape;
    if (
      current &&
      current.length === dims.length &&
      current.every((d, i) => d === dims[i] && d !== UNKNOWN_DIM)
    ) {
      return x;
    }
    // A Reshape of a Reshape reads the first one's input (not with 0 entries: they copy the input's dims).
    const p = this.producer(x);
    const source = p?.op === 'Reshape' && !dims.includes(0) ? (p.inputs[0] as string) : x;
    if (dims.every((d) => typeof d === 'number'))
      return this.op('Reshape', [source, this.ints(dims as number[])]);
    if (like === undefined)
      throw new GradRuleError(`cannot reshape ${x} to [${dims.join(', ')}] without a runtime shape`);
    return this.op('Reshape', [source, this.op('Shape', [like])], {}, { dtype: this.dtype(x), shape: dims });
  }

  /** Reshapes `x` to the shape of value `like` (static when known, else through Shape). */
  reshapeLike(x: string, like: string): string {
    const s = this.shape(like);
    const out = s.every((d) => typeof d === 'number') ? this.reshape(x, s) : this.reshape(x, s, like);
    return out;
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceMean', [x, this.ints(axes)], { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  /**
   * Sums a gradient of the broadcast shape `from` down to the shape of `target` (ONNX multidirectional
   * broadcasting): leading axes `target` lacks, and axes where `target` has 1, then reshapes.
   */
  reduceTo(grad: string, target: string): string {
    const g = this.shape(grad);
    const t = this.shape(target);
    const lead = g.length - t.length;
    if (lead < 0) throw new GradRuleError(`${grad} has lower rank than ${target}`);
    const axes: number[] = [];
    for (let i = 0; i < g.length; i++) {
      if (i < lead) {
        axes.push(i);
        continue;
      }
      const gd = g[i] as Dim;
      const td = t[i - lead] as Dim;
      if (td === gd && td !== UNKNOWN_DIM) continue;
      if (td === 1) {
        axes.push(i);
        continue;
      }
      if (typeof td === 'number' || typeof gd === 'number') continue; // td > 1, or gd fixed: equal in a valid graph
      throw new GradRuleError(
        `cannot tell whether ${target} [${t.join(', ')}] is broadcast to [${g.join(', ')}] along axis ${i}`,
      );
    }
    if (axes.length === 0) return grad;
    const keep = lead === 0 || axes.length > lead;
    const reduced = this.reduceSum(grad, axes, keep);
    return keep ? this.reshapeLike(reduced, target) : reduced;
  }

  gemm(a: string, b: string, transA: boolean, transB: boolean, alpha = 1): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const m = (transA ? sa[1] : sa[0]) ?? UNKNOWN_DIM;
    const n = (transB ? sb[0] : sb[1]) ?? UNKNOWN_DIM;
    return this.op(
      'Gemm',
      [a, b],
      {
        ...(transA ? { transA: attr.int(1) } : {}),
        ...(transB ? { transB: attr.int(1) } : {}),
        ...(alpha !== 1 ? { alpha: attr.float(alpha) } : {}),
      },
      { dtype: this.dtype(a), shape: [m, n] },
    );
  }

  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
}

export function permOf(node: Node): number[] | undefined {
  const a = node.attributes['perm'];
  return a?.type === 'ints' ? [...a.value] : undefined;
}

/** A negative axis counted from the end, made positive. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
