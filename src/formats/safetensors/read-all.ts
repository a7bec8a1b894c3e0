import type { SafetensorsReader } from './reader.js';
import type { TypedArray } from './dtypes.js';

/** Every tensor of a (small) file, in name order: for inputs, caches and tests, not for 10 GB checkpoints. */
export async function readAllTensors(reader: SafetensorsReader): Promise<Map<string, TypedArray>> {
  const out = new Map<string, TypedArray>();
  for (const name of [...reader.tensors.keys()].sort()) out.set(name, await reader.read(name));
  return out;
}
