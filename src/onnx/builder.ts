/**
 * Typed op helpers over GraphBuilder: what model code calls. Every helper emits standard opset-21 ops
 * only, so the graph runs on any onnxruntime build and every node has a plain ONNX meaning for autodiff.
 * `name` arguments are local to the current scope; composite helpers give their last node that name.
 */
import type { DataType, Dim } from './ir.js';
import { attr } from './attributes.js';
import { GraphBuilder } from './graph-builder.js';
import type { Value } from './graph-builder.js';
import { onnxDataType } from './dtype.js';

export type { Value } from './graph-builder.js';

/** The int64 "to the end" sentinel for Slice. */
export const SLICE_END = 2 ** 53 - 1;

export interface ConvOptions {
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
}

export class Builder extends GraphBuilder {
  // -- element-wise ---------------------------------------------------------------------------------
  add(a: Value, b: Value, name?: string): Value {
    return this.op('Add', [a, b], {}, name);
  }
  sub(a: Value, b: Value, name?: string): Value {
    return this.op('Sub', [a, b], {}, name);
  }
  mul(a: Value, b: Value, name?: string): Value {
    return this.op('Mul', [a, b], {}, name);
  }
  div(a: Value, b: Value, name?: string): Value {
    return this.op('Div', [a, b], {}, name);
  }
  pow(a: Value, b: Value, name?: string): Value {
    return this.op('Pow', [a, b], {}, name);
  }
  /** Multiplies by a float32 scalar constant. */
  scale(x: Value, factor: number, name?: string): Value {
    return this.mul(x, this.scalar(factor), name);
  }
  /** A float32 scalar (rank 0) constant. */
  scalar(v: number, dtype: DataType = 'float32'): Value {
    return this.constant([v], { dtype, dims: [] });
  }
  neg(x: Value, name?: string): Value {
    return this.op('Neg', [x], {}, name);
  }
  exp(x: Value, name?: string): Value {
    return this.op('Exp', [x], {}, name);
  }
  sqrt(x: Value, name?: string): Value {
    return this.op('Sqrt', [x], {}, name);
  }
  sin(x: Value, name?: string): Value {
    return this.op('Sin', [x], {}, name);
  }
  cos(x: Value, name?: string): Value {
    return this.op('Cos', [x], {}, name);
  }
  tanh(x: Value, name?: string): Value {
    return this.op('Tanh', [x], {}, name);
  }
  erf(x: Value, name?: string): Value {
    return this.op('Erf', [x], {}, name);
  }
  sigmoid(x: Value, name?: string): Value {
    return this.op('Sigmoid', [x], {}, name);
  }
  /** SiLU (swish): x·σ(x), as Sigmoid and Mul (opset 21 has no Swish). */
  silu(x: Value, name?: string): Value {
    const n = name ?? 'silu';
    return this.mul(x, this.sigmoid(x, `${n}.sigmoid`), n);
  }
  /** GELU with the exact erf form (approximate 'none'), the Gelu op of opset 20. */
  gelu(x: Value, name?: string): Value {
    return this.op('Gelu', [x], {}, name);
  }
  softmax(x: Value, axis = -1, name?: string): Value {
    return this.op('Softmax', [x], { axis: attr.int(axis) }, name);
  }
  identity(x: Value, name?: string): Value {
    return this.op('Identity', [x], {}, name);
  }
  cast(x: Value, to: DataType, name?: string): Value {
    return this.op('Cast', [x], { to: attr.int(onnxDataType(to)) }, name);
  }

  // -- linear algebra -------------------------------------------------------------------------------
  matmul(a: Value, b: Value, name?: string): Value {
    return this.op('MatMul', [a, b], {}, name);
  }
  gemm(
    a: Value,
    b: Value,
    c?: Value,
    options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
    name?: string,
  ): Value {
    const attributes = {
      ...(options.transA ? { transA: attr.int(1) } : {}),
      ...(options.transB ? { transB: attr.int(1) } : {}),
      ...(options.alpha !== undefined ? { alpha: attr.float(options.alpha) } : {}),
      ...(options.beta !== undefined ? { beta: attr.float(options.beta) } : {}),
    };
    return this.op('Gemm', c ? [a, b, c] : [a, b], attributes, name);
  }
  /**
   * torch.nn.Linear: y = x·Wᵀ + b with W stored [out, in]. Rank-2 inputs use one Gemm (transB); higher
   * ranks use MatMul against a Transpose of W (constant-folded by onnxruntime when W is an initializer).
   */
  linear(x: Value, weight: Value, bias?: Value, name?: string): Value {
    const n = name ?? 'linear';
    if (x.shape?.length === 2) return this.gemm(x, weight, bias, { transB: true }, n);
    const wt = this.transpose(weight, [1, 0], `${n}.weight_t`);
    if (bias === undefined) return this.matmul(x, wt, n);
    return this.add(this.matmul(x, wt, `${n}.matmul`), bias, n);
  }

  conv(x: Value, weight: Value, bias?: Value, options: ConvOptions = {}, name?: string): Value {
    const attributes = {
      ...(options.strides ? { strides: attr.ints(options.strides) } : {}),
      ...(options.pads ? { pads: attr.ints(options.pads) } : {}),
      ...(options.dilations ? { dilations: attr.ints(options.dilations) } : {}),
      ...(options.group !== undefined && options.group !== 1 ? { group: attr.int(options.group) } : {}),
    };
    return this.op('Conv', bias ? [x, weight, bias] : [x, weight], attributes, name);
  }

  // -- normalisation --------------------------------------------------------------------------------
  /**
   * torch.nn.GroupNorm on [N, C, …] with per-channel scale and bias of shape [C]. Emitted as
   * Reshape [N, G, -1] → InstanceNormalization (unit scale, zero bias) → Reshape back → ·scale + bias:
   * onnxruntime's CPU provider runs GroupNormalization-21 as an expanded function about 2.5× slower
   * (measured 11.1 ms against 4.3 ms on [16, 64, 16, 16], 2 threads). `groupNormOp` emits the single op.
   */
  groupNorm(x: Value, scale: Value, bias: Value, groups: number, epsilon: number, name?: string): Value {
    const n = name ?? 'group_norm';
    const channels = this.dim(x, 1);
    if (typeof channels !== 'number')
      throw new Error(`groupNorm ${n}: channel count of ${x.name} is not known`);
    const rank = x.shape?.length ?? 4;
    const grouped = this.reshape(x, [0, groups, -1], `${n}.group`);
    const unitScale = this.constant(new Float32Array(groups).fill(1));
    const zeroBias = this.constant(new Float32Array(groups));
    const normed = this.instanceNorm(grouped, unitScale, zeroBias, epsilon, `${n}.normalize`);
    const back = this.reshape(normed, this.shapeOf(x, undefined, undefined, `${n}.shape`), `${n}.ungroup`);
    const perChannel = [channels, ...new Array<number>(rank - 2).fill(1)];
    const s = this.reshape(scale, perChannel, `${n}.per_channel_scale`);
    const b = this.reshape(bias, perChannel, `${n}.per_channel_bias`);
    return this.add(this.mul(back, s, `${n}.mul`), b, n);
  }
  /** The GroupNormalization-21 op itself (same maths as `groupNorm`). */
  groupNormOp(x: Value, scale: Value, bias: Value, groups: number, epsilon: number, name?: string): Value {
    return this.op(
      'GroupNormalization',
      [x, scale, bias],
      { num_groups: attr.int(groups), epsilon: attr.float(epsilon) },
      name,
    );
  }
  /** LayerNormalization-17 over the trailing axes from `axis`. */
  layerNorm(
    x: Value,
    scale: Value,
    bias: Value | undefined,
    epsilon: number,
    axis = -1,
    name?: string,
  ): Value {
    return this.op(
      'LayerNormalization',
      bias ? [x, scale, bias] : [x, scale],
      { axis: attr.int(axis), epsilon: attr.float(epsilon) },
      name,
    );
  }
  instanceNorm(x: Value, scale: Value, bias: Value, epsilon: number, name?: string): Value {
    return this.op('InstanceNormalization', [x, scale, bias], { epsilon: attr.float(epsilon) }, name);
  }

  // -- shapes ---------------------------------------------------------------------------------------
  /** Reshape to a constant target (0 copies the input dim, -1 is inferred) or to a runtime shape value. */
  reshape(x: Value, shape: readonly number[] | Value, name?: string): Value {
    return this.op('Reshape', [x, this.shapeInput(shape)], {}, name);
  }
  transpose(x: Value, perm: readonly number[], name?: string): Value {
    return this.op('Transpose', [x], { perm: attr.ints(perm) }, name);
  }
  concat(values: readonly Value[], axis: number, name?: string): Value {
    return this.op('Concat', values, { axis: attr.int(axis) }, name);
  }
  slice(
    x: Value,
    starts: readonly number[],
    ends: readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
    name?: string,
  ): Value {
    const inputs = [x, this.ints(starts), this.ints(ends)];
    if (axes) inputs.push(this.ints(axes));
    if (steps) inputs.push(this.ints(steps));
    return this.op('Slice', inputs, {}, name);
  }
  /** Splits along `axis` into pieces of the given sizes. */
  split(x: Value, sizes: readonly number[], axis: number, name?: string): Value[] {
    return this.node(
      'Split',
      [x, this.ints(sizes)],
      { axis: attr.int(axis) },
      {
        ...(name === undefined ? {} : { name }),
        outputs: sizes.length,
      },
    );
  }
  unsqueeze(x: Value, axes: readonly number[], name?: string): Value {
    return this.op('Unsqueeze', [x, this.ints(axes)], {}, name);
  }
  squeeze(x: Value, axes: readonly number[], name?: string): Value {
    return this.op('Squeeze', [x, this.ints(axes)], {}, name);
  }
  expand(x: Value, shape: readonly number[] | Value, name?: string): Value {
    return this.op('Expand', [x, this.shapeInput(shape)], {}, name);
  }
  /** A target shape as an op input: an int64 constant, or a runtime shape value as it is. */
  private shapeInput(shape: readonly number[] | Value): Value {
    return Array.isArray(shape) ? this.ints(shape as readonly number[]) : (shape as Value);
  }
  /** The runtime shape of `x` (optionally dims start..end) as an int64 vector. */
  shapeOf(x: Value, start?: number, end?: number, name?: string): Value {
    const attributes = {
      ...(start !== undefined ? { start: attr.int(start) } : {}),
      ...(end !== undefined ? { end: attr.int(end) } : {}),
    };
    return this.op('Shape', [x], attributes, name);
  }
  gather(x: Value, indices: Value, axis = 0, name?: string): Value {
    return this.op('Gather', [x, indices], { axis: attr.int(axis) }, name);
  }
  reduceMean(x: Value, axes: readonly number[], keepdims = true, name?: string): Value {
    return this.reduce('ReduceMean', x, axes, keepdims, name);
  }
  reduceSum(x: Value, axes: readonly number[], keepdims = true, name?: string): Value {
    return this.reduce('ReduceSum', x, axes, keepdims, name);
  }
  private reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean, name?: string): Value {
    return this.op(op, [x, this.ints(axes)], { keepdims: attr.int(keepdims ? 1 : 0) }, name);
  }

  /**
   * Nearest-neighbour up-sampling of an NCHW tensor by an integer factor, as torch's
   * F.interpolate(mode='nearest'): Resize with asymmetric coordinates and floor rounding.
   */
  upsampleNearest(x: Value, factor = 2, name?: string): Value {
    const rank = x.shape?.length ?? 4;
    const scales = this.constant(
      Array.from({ length: rank }, (_v, i) => (i < 2 ? 1 : factor)),
      { dtype: 'float32' },
    );
    return this.op(
      'Resize',
      [x, undefined, scales],
      {
        mode: attr.string('nearest'),
        coordinate_transformation_mode: attr.string('asymmetric'),
        nearest_mode: attr.string('floor'),
      },
      name,
    );
  }

  /** A dim of `x` as known statically, or undefined. */
  dim(x: Value, axis: number): Dim | undefined {
    const s = x.shape;
    if (!s) return undefined;
    return s[axis < 0 ? axis + s.length : axis];
  }
}
