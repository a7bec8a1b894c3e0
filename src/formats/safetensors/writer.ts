import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dtypeOfArray, dtypeSize, f32ToBf16, f32ToF16, isWidenedFloat } from './dtypes.js';
import type { Dtype, TypedArray } from './dtypes.js';

/** A tensor held in memory. */
export interface TensorInMemory {
  readonly name: string;
  /** Defaults to the dtype of `data`'s array type. F16/BF16 accept a Float32Array (rounded to nearest even) or their bits. */
  readonly dtype?: Dtype;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** A tensor fetched only when its turn comes, so a converter never holds more than one in memory. */
export interface TensorFromSource {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly read: () => Promise<TypedArray>;
}

export type TensorToWrite = TensorInMemory | TensorFromSource;

const dtypeOf = (t: TensorToWrite): Dtype => t.dtype ?? ('data' in t ? dtypeOfArray(t.data) : 'F32');

/** Bytes the tensor takes in the file, from its shape and dtype; throws on a malformed shape. */
export function tensorByteLength(t: TensorToWrite): number {
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new Error(`tensor ${JSON.stringify(t.name)}: dimension ${d} is not a non-negative integer`);
    }
  }
  return t.shape.reduce((a, b) => a * b, 1) * dtypeSize(dtypeOf(t));
}

/** Converts `data` to the bytes of `dtype`, or throws when they cannot describe the same tensor. */
function encode(t: TensorToWrite, data: TypedArray): Uint8Array {
  const dtype = dtypeOf(t);
  let bytes: Uint8Array;
  if (isWidenedFloat(dtype) && data instanceof Float32Array) {
    if (dtype !== 'F16' && dtype !== 'BF16') {
      throw new Error(
        `tensor ${JSON.stringify(t.name)}: moe does not encode float32 to ${dtype}; pass its bytes`,
      );
    }
    const narrow = dtype === 'F16' ? f32ToF16 : f32ToBf16;
    const bits = new Uint16Array(data.length);
    for (let i = 0; i < bits.length; i++) bits[i] = narrow(data[i] ?? 0);
    bytes = new Uint8Array(bits.buffer);
  } else {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const expected = tensorByteLength(t);
  if (bytes.byteLength !== expected) {
    throw new Error(
      `tensor ${JSON.stringify(t.name)}: shape ${JSON.stringify(t.shape)} × ${dtype} needs ${expected} bytes, data has ${bytes.byteLength}`,
    );
  }
  return bytes;
}

/**
 * The header bytes for tensors already in name order: `__metadata__` first, then each tensor with offsets
 * assigned in that order, padded with spaces to a multiple of 8 so the data region starts aligned.
 */
export function encodeHeader(
  entries: readonly { name: string; dtype: Dtype; shape: readonly number[]; byteLength: number }[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = metadata;
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.byteLength] };
    offset += e.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** `write` may stop short (and must for chunks over 2 GiB), so loop until every byte is out. */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  const chunk = 1 << 30;
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(chunk, bytes.byteLength - done));
    done += bytesWritten;
  }
}

/**
 * Writes a safetensors file atomically: into a temporary file beside `path`, then renamed over it, so a
 * reader never sees half a file. Tensors are stored in name order (as the reference implementation does),
 * which makes the bytes a function of the content alone. Throws on invalid input (duplicate names, data
 * that does not match its shape) and on I/O failure; both are programming or system errors.
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sorted.forEach((t, i) => {
    if (t.name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
    if (i > 0 && t.name === sorted[i - 1]?.name)
      throw new Error(`duplicate tensor name ${JSON.stringify(t.name)}`);
  });
  const header = encodeHeader(
    sorted.map((t) => ({ name: t.name, dtype: dtypeOf(t), shape: t.shape, byteLength: tensorByteLength(t) })),
    metadata,
  );
  // Tensors in memory are checked before the file is created; lazy ones as they arrive.
  for (const t of sorted) if ('data' in t) encode(t, t.data);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await writeAll(fh, header);
    for (const t of sorted) await writeAll(fh, encode(t, 'data' in t ? t.data : await t.read()));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}
