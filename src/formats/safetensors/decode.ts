import { bf16ToF32, f16ToF32, f8e4m3ToF32, f8e5m2ToF32 } from './dtypes.js';
import type { Dtype, TypedArray } from './dtypes.js';

/**
 * Turns raw little-endian tensor bytes into a typed array. `bytes` must own its buffer from offset 0 (as a
 * fresh read does), so multi-byte views are aligned. Half and 8-bit floats are widened to float32 unless
 * `raw` asks for their bits (Uint16Array / Uint8Array).
 */
export function decodeTensor(dtype: Dtype, bytes: Uint8Array, raw = false): TypedArray {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'F64':
      return new Float64Array(buffer, byteOffset, byteLength / 8);
    case 'I64':
      return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case 'U64':
      return new BigUint64Array(buffer, byteOffset, byteLength / 8);
    case 'I32':
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'U32':
      return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case 'I16':
      return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'U16':
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'I8':
      return new Int8Array(buffer, byteOffset, byteLength);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer, byteOffset, byteLength);
    case 'F16':
    case 'BF16': {
      const bits = new Uint16Array(buffer, byteOffset, byteLength / 2);
      if (raw) return bits;
      const out = new Float32Array(bits.length);
      const widen = dtype === 'F16' ? f16ToF32 : bf16ToF32;
      for (let i = 0; i < bits.length; i++) out[i] = widen(bits[i] ?? 0);
      return out;
    }
    case 'F8_E4M3':
    case 'F8_E5M2': {
      if (raw) return new Uint8Array(buffer, byteOffset, byteLength);
      const out = new Float32Array(byteLength);
      const widen = dtype === 'F8_E4M3' ? f8e4m3ToF32 : f8e5m2ToF32;
      for (let i = 0; i < byteLength; i++) out[i] = widen(bytes[i] ?? 0);
      return out;
    }
  }
}
