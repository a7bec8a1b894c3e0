import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { checkHeaderLength, parseHeader } from './header.js';
import type { TensorInfo } from './header.js';
import { decodeTensor } from './decode.js';
import type { TypedArray } from './dtypes.js';
import { safetensorsError } from './errors.js';
import type { SafetensorsError } from './errors.js';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';

export interface ReadOptions {
  /**
   * F16/BF16 (and F8) tensors are widened to a Float32Array by default. With `raw: true` they come back as
   * their bits (Uint16Array / Uint8Array), e.g. to copy them unchanged into an ONNX initializer.
   */
  readonly raw?: boolean;
}

/**
 * An open safetensors file (or a sharded checkpoint). Only the header is in memory; each `read` fetches one
 * tensor's bytes from disk, so a 10 GB checkpoint can be walked tensor by tensor.
 */
export interface SafetensorsReader {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Reads one tensor. Throws for a name not in `tensors` (check first) or an I/O failure. */
  read(name: string, options?: ReadOptions): Promise<TypedArray>;
  /** The tensor's bytes exactly as stored (little-endian). */
  readBytes(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Reads exactly `length` bytes at `position` into a fresh buffer, in chunks below the 2 GiB read limit. */
export async function readExactly(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const chunk = 1 << 30;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, Math.min(chunk, length - done), position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return out;
}

/** Opens a safetensors file and validates its header against the file's size. */
export async function openSafetensors(path: string): Promise<Result<SafetensorsReader, SafetensorsError>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot open (${code ?? String(e)})`;
    return err(safetensorsError('io', path, what));
  }
  try {
    const size = (await fh.stat()).size;
    const prefix = await readExactly(fh, 0, Math.min(8, size));
    const len = checkHeaderLength(prefix, size, path);
    if (!len.ok) {
      await fh.close();
      return len;
    }
    const header = parseHeader(await readExactly(fh, 8, len.value), size, path);
    if (!header.ok) {
      await fh.close();
      return header;
    }
    return ok(fileReader(fh, header.value.tensors, header.value.metadata, path));
  } catch (e) {
    await fh.close();
    return err(safetensorsError('io', path, `cannot read (${e instanceof Error ? e.message : String(e)})`));
  }
}

function fileReader(
  fh: FileHandle,
  tensors: ReadonlyMap<string, TensorInfo>,
  metadata: Readonly<Record<string, string>>,
  path: string,
): SafetensorsReader {
  const info = (name: string): TensorInfo => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`${path}: no tensor named ${JSON.stringify(name)}`);
    return t;
  };
  const readBytes = (name: string) => {
    const t = info(name);
    return readExactly(fh, t.byteOffset, t.byteLength);
  };
  return {
    tensors,
    metadata,
    readBytes,
    async read(name, options) {
      const t = info(name);
      return decodeTensor(t.dtype, await readBytes(name), options?.raw ?? false);
    },
    close: () => fh.close(),
  };
}
