import type { DataType, TensorArray } from './ir.js';

/** ONNX TensorProto.DataType enum values. */
const ONNX_ENUM: Readonly<Record<DataType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

const SIZE: Readonly<Record<DataType, number>> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  float64: 8,
  bfloat16: 2,
};

export function onnxDataType(d: DataType): number {
  return ONNX_ENUM[d];
}

export function dataTypeFromOnnx(n: number): DataType | undefined {
  for (const [k, v] of Object.entries(ONNX_ENUM)) if (v === n) return k as DataType;
  return undefined;
}

/** Bytes per element. */
export function dataTypeSize(d: DataType): number {
  return SIZE[d];
}

/** The dtype a typed array holds by default (Uint16Array is taken as float16 bits). */
export function dataTypeOfArray(a: TensorArray): DataType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'float16';
  return 'uint8';
}

/** The little-endian bytes of a typed array, without copying (moe only runs on little-endian hosts). */
export function arrayBytes(a: TensorArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Number of elements of a shape with only numeric dims. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
