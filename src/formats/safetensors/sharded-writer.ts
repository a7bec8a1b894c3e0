import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { tensorByteLength, writeSafetensors } from './writer.js';
import type { TensorToWrite } from './writer.js';

export interface ShardedWriteOptions {
  /** Largest shard's tensor bytes. @default 10 GB, diffusers' and transformers' default max_shard_size. */
  readonly maxShardBytes?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ShardedWriteResult {
  /** File names written, relative to the folder: one `STEM.safetensors`, or the shards and the index. */
  readonly files: readonly string[];
  readonly totalBytes: number;
}

/**
 * Writes a checkpoint as diffusers' save_pretrained does: `STEM.safetensors` when it fits in one shard,
 * else `STEM-00001-of-0000N.safetensors` … and `STEM.safetensors.index.json` (`{metadata: {total_size},
 * weight_map}`). Tensors are packed greedily in name order; a tensor larger than the limit gets a shard of
 * its own. Each shard is written atomically and the index last, so a reader never finds an index whose
 * shards are missing. Lazy tensors (`read`) are fetched one at a time.
 */
export async function writeShardedSafetensors(
  dir: string,
  stem: string,
  tensors: readonly TensorToWrite[],
  options: ShardedWriteOptions = {},
): Promise<ShardedWriteResult> {
  const limit = options.maxShardBytes ?? 10_000_000_000;
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let size = 0;
  let total = 0;
  for (const t of sorted) {
    const bytes = tensorByteLength(t);
    if (current.length > 0 && size + bytes > limit) {
      shards.push(current);
      [current, size] = [[], 0];
    }
    current.push(t);
    size += bytes;
    total += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);

  if (shards.length === 1) {
    const file = `${stem}.safetensors`;
    await writeSafetensors(join(dir, file), sorted, options.metadata);
    return { files: [file], totalBytes: total };
  }
  const pad = (n: number) => String(n).padStart(5, '0');
  const names = shards.map((_, i) => `${stem}-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const name = names[i] ?? '';
    await writeSafetensors(join(dir, name), shard, options.metadata);
    for (const t of shard) weightMap[t.name] = name;
  }
  const index = `${stem}.safetensors.index.json`;
  const tmp = join(dir, `.${index}.${process.pid}.tmp`);
  await writeFile(
    tmp,
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n',
  );
  await rename(tmp, join(dir, index));
  return { files: [...names, index], totalBytes: total };
}
