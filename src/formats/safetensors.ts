// The safetensors format: read tensor by tensor without loading whole files, write atomically, validate
// headers against hostile files. Layout and rules: https://github.com/huggingface/safetensors (README).
export { openSafetensors, readExactly } from './safetensors/reader.js';
export type { ReadOptions, SafetensorsReader } from './safetensors/reader.js';
export { openShardedSafetensors } from './safetensors/sharded.js';
export { openCheckpoint } from './safetensors/checkpoint.js';
export { writeSafetensors, encodeHeader, tensorByteLength } from './safetensors/writer.js';
export type { TensorToWrite, TensorInMemory, TensorFromSource } from './safetensors/writer.js';
export { writeShardedSafetensors } from './safetensors/sharded-writer.js';
export type { ShardedWriteOptions, ShardedWriteResult } from './safetensors/sharded-writer.js';
export { MAX_HEADER_BYTES, parseHeader, checkHeaderLength } from './safetensors/header.js';
export type { TensorInfo, ParsedHeader } from './safetensors/header.js';
export {
  DTYPES,
  dtypeSize,
  isDtype,
  f16ToF32,
  f32ToF16,
  bf16ToF32,
  f32ToBf16,
} from './safetensors/dtypes.js';
export type { Dtype, TypedArray } from './safetensors/dtypes.js';
export type { SafetensorsError, SafetensorsErrorReason } from './safetensors/errors.js';
export { readAllTensors } from './safetensors/read-all.js';
