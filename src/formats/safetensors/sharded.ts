import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { openSafetensors } from './reader.js';
import type { ReadOptions, SafetensorsReader } from './reader.js';
import type { TensorInfo } from './header.js';
import { safetensorsError } from './errors.js';
import type { SafetensorsError } from './errors.js';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Opens a sharded checkpoint from its `*.safetensors.index.json` (`{"metadata": {...}, "weight_map":
 * {tensor: shard file}}`, as transformers and diffusers write it). Every shard is opened and validated, and
 * every tensor the index names must be in the shard it names. Shard names must stay inside the index's
 * folder. The reader's metadata is the index's `metadata` with values as strings.
 */
export async function openShardedSafetensors(
  indexPath: string,
): Promise<Result<SafetensorsReader, SafetensorsError>> {
  const index = await readIndex(indexPath);
  if (!index.ok) return index;
  const { shardOf, metadata } = index.value;
  const readers = new Map<string, SafetensorsReader>();
  const closeAll = async () => {
    for (const r of readers.values()) await r.close();
  };
  for (const file of [...new Set(shardOf.values())].sort()) {
    const r = await openSafetensors(file);
    if (!r.ok) {
      await closeAll();
      return r;
    }
    readers.set(file, r.value);
  }

  const tensors = new Map<string, TensorInfo>();
  const readerOf = new Map<string, SafetensorsReader>();
  for (const [tensor, file] of [...shardOf].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const reader = readers.get(file);
    const info = reader?.tensors.get(tensor);
    if (reader === undefined || info === undefined) {
      await closeAll();
      return err(
        safetensorsError(
          'index',
          indexPath,
          `the index places it in ${file}, which does not hold it`,
          tensor,
        ),
      );
    }
    tensors.set(tensor, info);
    readerOf.set(tensor, reader);
  }

  const shard = (name: string): SafetensorsReader => {
    const r = readerOf.get(name);
    if (r === undefined) throw new Error(`${indexPath}: no tensor named ${JSON.stringify(name)}`);
    return r;
  };
  return ok({
    tensors,
    metadata,
    read: (name: string, options?: ReadOptions) => shard(name).read(name, options),
    readBytes: (name: string) => shard(name).readBytes(name),
    close: closeAll,
  });
}

/** The index's shard file per tensor (inside the index's folder) and its metadata as strings. */
async function readIndex(
  indexPath: string,
): Promise<Result<{ shardOf: Map<string, string>; metadata: Record<string, string> }, SafetensorsError>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err(safetensorsError('io', indexPath, 'no such file'));
    return err(
      safetensorsError(
        'index',
        indexPath,
        `not a JSON index (${e instanceof Error ? e.message : String(e)})`,
      ),
    );
  }
  if (!isRecord(json) || !isRecord(json['weight_map'])) {
    return err(safetensorsError('index', indexPath, 'has no "weight_map" object'));
  }
  const metadata: Record<string, string> = {};
  if (isRecord(json['metadata'])) {
    for (const [k, v] of Object.entries(json['metadata']))
      metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const dir = dirname(indexPath);
  const shardOf = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(json['weight_map'])) {
    if (typeof shard !== 'string' || shard === '') {
      return err(safetensorsError('index', indexPath, 'weight_map value is not a file name', tensor));
    }
    const rel = normalize(shard);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
      const message = `shard ${JSON.stringify(shard)} is outside the index's folder`;
      return err(safetensorsError('index', indexPath, message, tensor));
    }
    shardOf.set(tensor, join(dir, rel));
  }
  return ok({ shardOf, metadata });
}
