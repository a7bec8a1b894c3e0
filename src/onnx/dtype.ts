import { dtypeOfArray, dtypeSize } from '../formats/safetensors/dtypes.js';
import type { Dtype } from '../formats/safetensors/dtypes.js';
import type { DataType, TensorArray } from './ir.js';

/**
 * Each element type's ONNX TensorProto.DataType enum value, and the safetensors dtype that stores the same
 * bytes: safetensors' table is the one source of element sizes and array types, these are derived from it.
 */
const TYPES: Readonly<Record<DataType, { readonly onnx: number; readonly safetensors: Dtype }>> = {
  float32: { onnx: 1, safetensors: 'F32' },
  uint8: { onnx: 2, safetensors: 'U8' },
  int8: { onnx: 3, safetensors: 'I8' },
  int16: { onnx: 5, safetensors: 'I16' },
  int32: { onnx: 6, safetensors: 'I32' },
  int64: { onnx: 7, safetensors: 'I64' },
  bool: { onnx: 9, safetensors: 'BOOL' },
  float16: { onnx: 10, safetensors: 'F16' },
  float64: { onnx: 11, safetensors: 'F64' },
  bfloat16: { onnx: 16, safetensors: 'BF16' },
};

const ENTRIES = Object.entries(TYPES) as readonly (readonly [DataType, (typeof TYPES)[DataType]])[];

export function onnxDataType(d: DataType): number {
  return TYPES[d].onnx;
}

export function dataTypeFromOnnx(n: number): DataType | undefined {
  return ENTRIES.find(([, t]) => t.onnx === n)?.[0];
}

/** Bytes per element. */
export function dataTypeSize(d: DataType): number {
  return dtypeSize(TYPES[d].safetensors);
}

/** The dtype a typed array holds by default (Uint16Array is taken as float16 bits). */
export function dataTypeOfArray(a: TensorArray): DataType {
  // The IR keeps float16 as raw bits in a Uint16Array, which safetensors would write as U16.
  if (a instanceof Uint16Array) return 'float16';
  const dtype = dtypeOfArray(a);
  const found = ENTRIES.find(([, t]) => t.safetensors === dtype);
  if (found === undefined) throw new Error(`no ONNX element type stores safetensors ${dtype}`);
  return found[0];
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
