/**
 * moe's ONNX graph IR: plain data that mirrors ONNX's ModelProto closely enough to serialise one to one,
 * and simple enough for passes (shape inference, reverse-mode autodiff) to walk and rewrite.
 *
 * Every node's meaning is fully given by `op`, `domain`, its attributes and the values it reads; values are
 * named strings (SSA: each name has exactly one producer, a node output, a graph input or an initializer).
 */

/** Element types moe emits. The names follow the JavaScript typed arrays that hold them. */
export type DataType =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * One axis of a shape: a number, or a symbolic name (`batch`, `height`) ONNX calls a dim_param. Two equal
 * names are the same size; `UNKNOWN_DIM` is a size nothing is known about (not even equality).
 */
export type Dim = number | string;
export const UNKNOWN_DIM = '?';
export type Shape = readonly Dim[];

/** A graph input, output or annotated intermediate. `shape` undefined means the rank itself is unknown. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DataType;
  readonly shape?: Shape;
}

export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensor'; readonly value: Tensor };

export interface Node {
  readonly op: string;
  /** Unique within the graph; reads like a diffusers module path (`mid_block.resnets.0.conv1`). */
  readonly name: string;
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, Attribute>>;
  /** '' (or absent) is the default ONNX domain. */
  readonly domain?: string;
}

/** The typed arrays that hold tensor data in memory (float16/bfloat16 as raw Uint16 bits). */
export type TensorArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array;

/**
 * Where a tensor's bytes come from.
 * - `inline`: in memory.
 * - `lazy`: produced on demand as raw little-endian bytes (for example read from a safetensors file), so a
 *   10 GB checkpoint streams through the serialiser without being held in memory all at once.
 * - `external`: already in an ONNX external-data file next to the model.
 */
export type TensorStorage =
  | { readonly kind: 'inline'; readonly array: TensorArray }
  | { readonly kind: 'lazy'; readonly byteLength: number; readonly read: () => Uint8Array }
  | {
      readonly kind: 'external';
      readonly location: string;
      readonly offset: number;
      readonly length: number;
    };

export interface Tensor {
  readonly name: string;
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: TensorStorage;
}

/**
 * What an initializer is for: `weight` (a trainable parameter, named as in the source checkpoint) or
 * `constant` (shapes, axes, scales, fixed frequency tables). Autodiff differentiates only weights.
 */
export type InitializerRole = 'weight' | 'constant';

export interface Initializer extends Tensor {
  readonly role: InitializerRole;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: readonly Initializer[];
  /** Type and shape of intermediate values where known (shape inference fills this in). */
  readonly valueInfo: readonly ValueInfo[];
  /**
   * Names of the trainable weights, whether stored as initializers or fed as graph inputs (when a trainer
   * feeds weights so one session serves every step). Not serialised; ONNX has no such notion.
   */
  readonly weights: readonly string[];
}

export interface Model {
  readonly graph: Graph;
  /** The default-domain opset version; moe emits 21. */
  readonly opset: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  readonly extraOpsets?: Readonly<Record<string, number>>;
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export const DEFAULT_OPSET = 21;
/** IR version 10 is the one that goes with opset 21 (ONNX 1.16). */
export const DEFAULT_IR_VERSION = 10;
