/**
 * A weight source over a safetensors checkpoint (single or sharded) for the graph builder: each weight is
 * read from disk only when the model is serialised, one tensor at a time, and widened to float32 when the
 * checkpoint holds float16 or bfloat16. Records which tensors the graph used, so leftovers can be reported.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { GraphBuildError } from '../../onnx/graph-builder.js';
import type { WeightData } from '../../onnx/graph-builder.js';
import type { SafetensorsReader } from '../../formats/safetensors.js';
import { decodeTensor } from '../../formats/safetensors/decode.js';

export interface CheckpointWeights {
  readonly lookup: (name: string) => WeightData | undefined;
  /** Names handed out so far. */
  readonly used: ReadonlySet<string>;
  /** Checkpoint tensors the builder never asked for, sorted. */
  unused(): string[];
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);

function readRange(file: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
      if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${offset + done}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

export function checkpointWeights(reader: SafetensorsReader): CheckpointWeights {
  const used = new Set<string>();
  return {
    used,
    unused: () => [...reader.tensors.keys()].filter((k) => !used.has(k)).sort(),
    lookup(name) {
      const info = reader.tensors.get(name);
      if (info === undefined) return undefined;
      if (!FLOAT_DTYPES.has(info.dtype)) {
        throw new GraphBuildError(
          `${info.file}: weight ${name} has dtype ${info.dtype}; a UNet weight must be F32, F16 or BF16`,
        );
      }
      used.add(name);
      const count = info.shape.reduce((a, d) => a * d, 1);
      return {
        dtype: 'float32',
        dims: info.shape,
        data: {
          kind: 'lazy',
          byteLength: count * 4,
          read: () => {
            const bytes = readRange(info.file, info.byteOffset, info.byteLength);
            if (info.dtype === 'F32') return bytes;
            const wide = decodeTensor(info.dtype, bytes) as Float32Array;
            return new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength);
          },
        },
      };
    },
  };
}

/**
 * A weight source over tensors in memory (a trainer's current weights, freshly initialised ones), by
 * diffusers name. Float32 only; the builder checks each shape.
 */
export function memoryWeights(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
): (name: string) => WeightData | undefined {
  return (name) => {
    const t = tensors.get(name);
    return t && { dtype: 'float32', dims: t.shape, data: { kind: 'inline', array: t.data } };
  };
}
