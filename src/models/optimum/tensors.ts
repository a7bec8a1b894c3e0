import { Tensor } from 'onnxruntime-node';
import { f16ToF32, f32ToF16 } from '../../formats/safetensors.js';

/** A float output as float32, whatever precision the model computed it in (float16 exports return bits). */
export function toFloat32(data: unknown, what: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, f16ToF32);
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new Error(`${what}: expected floating-point data`);
}

/** Concatenates [B, T, A] and [B, T, C] on the last axis into [B, T, A + C]. */
export function concatLastAxis(
  a: Float32Array,
  widthA: number,
  b: Float32Array,
  widthB: number,
): Float32Array {
  const rows = a.length / widthA;
  if (b.length / widthB !== rows)
    throw new Error(`cannot concatenate: ${rows} rows against ${b.length / widthB}`);
  const out = new Float32Array(rows * (widthA + widthB));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * widthA, (r + 1) * widthA), r * (widthA + widthB));
    out.set(b.subarray(r * widthB, (r + 1) * widthB), r * (widthA + widthB) + widthA);
  }
  return out;
}

/** A float input tensor in the precision the model declares (float16 inputs get their bits). */
export function floatTensor(
  type: 'float32' | 'float16',
  data: Float32Array,
  dims: readonly number[],
): Tensor {
  return type === 'float16'
    ? new Tensor('float16', Uint16Array.from(data, f32ToF16), [...dims])
    : new Tensor('float32', data, [...dims]);
}
