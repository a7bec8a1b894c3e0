/**
 * The core of the graph builder: values, scopes that name things like diffusers module paths, graph
 * inputs and outputs, weights, deduplicated constants, and nodes whose output types and shapes are
 * inferred as they are added. Typed op helpers live in builder.ts.
 */
import type {
  Attribute,
  DataType,
  Dim,
  Initializer,
  Model,
  Node,
  Shape,
  TensorArray,
  TensorStorage,
  ValueInfo,
} from './ir.js';
import { DEFAULT_IR_VERSION, DEFAULT_OPSET } from './ir.js';
import { dataTypeOfArray } from './dtype.js';
import { inferNode, smallValue } from './shape-inference.js';
import type { ValueFacts } from './shape-inference.js';

/** A value in the graph under construction: its name plus what is statically known about it. */
export interface Value {
  readonly name: string;
  readonly dtype: DataType;
  /** Undefined when even the rank is unknown. */
  readonly shape: Shape | undefined;
  /** Contents of a small integer tensor when known (shape vectors, axes). */
  readonly value?: readonly Dim[];
}

/** A weight's data as a model loader hands it over. */
export interface WeightData {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: TensorStorage;
}

/** Raised for mistakes in what is being built (a missing weight, a wrong shape): a build error, not a bug. */
export class GraphBuildError extends Error {
  override readonly name = 'GraphBuildError';
}

export interface GraphBuilderOptions {
  /** @default 'main' */
  readonly name?: string;
  /** @default 21 */
  readonly opset?: number;
  /**
   * Looks weights up by full name, for `param`. `dims` is the shape the model expects, so a source can
   * also create weights (random initialisation, or listing a model's parameters).
   */
  readonly weights?: (name: string, dims: readonly number[]) => WeightData | undefined;
  readonly producerVersion?: string;
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly weightNames: string[] = [];
  private readonly facts = new Map<string, ValueFacts>();
  private readonly nodeNames = new Set<string>();
  private readonly constants = new Map<string, Value>();
  private readonly scopes: string[] = [];
  private readonly opsetVersion: number;

  constructor(private readonly options: GraphBuilderOptions = {}) {
    this.opsetVersion = options.opset ?? DEFAULT_OPSET;
  }

  /** Runs `fn` with `name` appended to the naming scope (`down_blocks.1` → `down_blocks.1.attentions.0`). */
  scope<T>(name: string | number, fn: () => T): T {
    this.scopes.push(String(name));
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The full dotted name of `local` in the current scope. */
  path(local?: string): string {
    const parts = local === undefined || local === '' ? this.scopes : [...this.scopes, local];
    return parts.join('.');
  }

  private value(name: string): Value {
    const f = this.facts.get(name);
    if (f === undefined) throw new Error(`unknown value ${name}`);
    return { name, dtype: f.dtype, shape: f.shape, ...(f.value ? { value: f.value } : {}) };
  }

  private define(name: string, f: ValueFacts): Value {
    if (this.facts.has(name)) throw new GraphBuildError(`value ${name} is defined twice`);
    this.facts.set(name, f);
    return this.value(name);
  }

  input(name: string, dtype: DataType, shape?: Shape): Value {
    this.inputs.push(shape ? { name, dtype, shape } : { name, dtype });
    return this.define(name, shape ? { dtype, shape } : { dtype });
  }

  /** Marks `v` as a graph output, renamed through an Identity when `name` differs from its value name. */
  output(v: Value, name: string = v.name): Value {
    const out =
      name === v.name ? v : (this.node('Identity', [v], {}, { name, outputNames: [name] })[0] as Value);
    this.outputs.push(out.shape ? { name, dtype: out.dtype, shape: out.shape } : { name, dtype: out.dtype });
    return out;
  }

  /** Adds a trainable weight under its full name (as in the source checkpoint). */
  weight(fullName: string, data: WeightData): Value {
    this.initializers.push({
      name: fullName,
      dtype: data.dtype,
      dims: data.dims,
      data: data.data,
      role: 'weight',
    });
    this.weightNames.push(fullName);
    return this.define(fullName, { dtype: data.dtype, shape: data.dims });
  }

  /**
   * Adds the weight `local` of the current scope from the weight source, checking its shape.
   * @example b.scope('conv_in', () => b.param('weight', [320, 4, 3, 3]))
   */
  param(local: string, dims: readonly number[]): Value {
    const name = this.path(local);
    const found = this.options.weights?.(name, dims);
    if (found === undefined) throw new GraphBuildError(`weight ${name} is missing`);
    if (found.dims.length !== dims.length || found.dims.some((d, i) => d !== dims[i])) {
      throw new GraphBuildError(
        `weight ${name} has shape [${found.dims.join(', ')}], expected [${dims.join(', ')}]`,
      );
    }
    return this.weight(name, found);
  }

  /**
   * A constant initializer. Identical small constants are shared, named by their contents
   * (`const.int64.0_0_-1`), so graphs stay readable.
   */
  constant(
    values: TensorArray | readonly number[],
    options: { dtype?: DataType; dims?: readonly number[]; name?: string } = {},
  ): Value {
    const dtype =
      options.dtype ?? (Array.isArray(values) ? 'float32' : dataTypeOfArray(values as TensorArray));
    const array = Array.isArray(values)
      ? toArray(values as readonly number[], dtype)
      : (values as TensorArray);
    const dims = options.dims ?? [array.length];
    const small = array.length <= 16 && options.name === undefined;
    const key = small
      ? `${dtype}.${dims.join('x')}.${Array.from(array as ArrayLike<number | bigint>).join('_')}`
      : '';
    const cached = small ? this.constants.get(key) : undefined;
    if (cached) return cached;
    const name = options.name ?? (small ? `const.${key}` : this.uniqueValue(`const.${this.path('tensor')}`));
    this.initializers.push({ name, dtype, dims, data: { kind: 'inline', array }, role: 'constant' });
    const value = dims.length <= 1 ? smallValue(array as ArrayLike<number | bigint>) : undefined;
    const v = this.define(name, value ? { dtype, shape: dims, value } : { dtype, shape: dims });
    if (small) this.constants.set(key, v);
    return v;
  }

  /** An int64 vector constant (shapes, axes, starts). */
  ints(values: readonly number[]): Value {
    return this.constant(values, { dtype: 'int64' });
  }

  private uniqueValue(base: string): string {
    let name = base;
    for (let i = 1; this.facts.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name) || this.facts.has(`${name}.out`); i++) name = `${base}_${i}`;
    return name;
  }

  /**
   * Adds a node. Its name is `path(options.name ?? op)`, made unique; outputs are `<name>.out` (or
   * `<name>.out0`, `.out1`, … for several).
   */
  node(
    op: string,
    inputs: readonly (Value | undefined)[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: { name?: string; outputs?: number; outputNames?: readonly string[]; domain?: string } = {},
  ): Value[] {
    const name =
      options.outputNames && options.name !== undefined
        ? options.name
        : this.unique(this.path(options.name ?? op));
    this.nodeNames.add(name);
    const count = options.outputNames?.length ?? options.outputs ?? 1;
    const outputs =
      options.outputNames ??
      Array.from({ length: count }, (_x, i) => (count === 1 ? `${name}.out` : `${name}.out${i}`));
    const node: Node = {
      op,
      name,
      inputs: inputs.map((v) => v?.name ?? ''),
      outputs,
      attributes,
      ...(options.domain ? { domain: options.domain } : {}),
    };
    const inferred = inferNode(
      node,
      inputs.map((v) => (v ? this.facts.get(v.name) : undefined)),
    );
    this.nodes.push(node);
    return outputs.map((o, i) => this.define(o, inferred[i] ?? { dtype: inputs[0]?.dtype ?? 'float32' }));
  }

  /** A single-output node. */
  op(
    op: string,
    inputs: readonly (Value | undefined)[],
    attributes: Readonly<Record<string, Attribute>> = {},
    name?: string,
  ): Value {
    return this.node(op, inputs, attributes, name === undefined ? {} : { name })[0] as Value;
  }

  build(): Model {
    const valueInfo: ValueInfo[] = [];
    const io = new Set([...this.inputs, ...this.outputs].map((v) => v.name));
    for (const n of this.nodes) {
      for (const o of n.outputs) {
        const f = this.facts.get(o);
        if (!f || io.has(o)) continue;
        valueInfo.push(f.shape ? { name: o, dtype: f.dtype, shape: f.shape } : { name: o, dtype: f.dtype });
      }
    }
    return {
      graph: {
        name: this.options.name ?? 'main',
        nodes: this.nodes.slice(),
        inputs: this.inputs.slice(),
        outputs: this.outputs.slice(),
        initializers: this.initializers.slice(),
        valueInfo,
        weights: this.weightNames.slice(),
      },
      opset: this.opsetVersion,
      irVersion: DEFAULT_IR_VERSION,
      producerName: 'moe',
      producerVersion: this.options.producerVersion ?? '0',
    };
  }
}

function toArray(values: readonly number[], dtype: DataType): TensorArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
    case 'float16':
    case 'bfloat16':
      throw new GraphBuildError(`constants of ${dtype} need a Uint16Array of raw bits`);
  }
}
