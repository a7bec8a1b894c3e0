/**
 * The embedding cache as `embeds.cache` writes it (docs/design/workflow.md): `items.jsonl` (id, caption,
 * split, bucket, time_ids) and `tensors.safetensors` (`<id>.latents` [4, h, w], `<id>.prompt_embeds`
 * [77, D], `<id>.pooled` [P]). A cache whose train tensors fit in PRELOAD_BYTES is read into memory
 * once (items with identical embeddings share one array), so a batch is copies rather than dozens of
 * file reads; a larger one keeps only the header and the item list in memory and reads tensors per
 * batch, so a large data set costs disk reads, not memory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors } from '../../formats/safetensors.js';
import type { SafetensorsReader } from '../../formats/safetensors.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { TensorInterner } from './intern.js';

export interface CacheItem {
  readonly id: string;
  readonly caption: string;
  readonly timeIds: readonly number[];
}

/** Items whose tensors share one shape: what a batch may mix. */
export interface CacheGroup {
  /** Latent shape [C, h, w]. */
  readonly latentShape: readonly [number, number, number];
  readonly items: readonly CacheItem[];
}

export interface EmbeddingCache {
  readonly dir: string;
  /** Train-split items grouped by latent shape, groups ordered by shape, items in file order. */
  readonly groups: readonly CacheGroup[];
  /** Tokens × width of prompt_embeds. */
  readonly embedShape: readonly [number, number];
  readonly pooledSize: number;
  readonly timeIdCount: number;
  /** Bytes of tensors held in memory (0 when they are read from disk per batch). */
  readonly heldBytes: number;
  /** Reads one item's tensors into the given views (each exactly the tensor's size). */
  readInto(
    item: CacheItem,
    into: { latents: Float32Array; promptEmbeds: Float32Array; pooled: Float32Array },
  ): Promise<void>;
  close(): Promise<void>;
}

/** Train tensors up to this size (as float32) are held in memory for the whole run. */
export const PRELOAD_BYTES = 256 * 2 ** 20;

const PARTS = ['latents', 'prompt_embeds', 'pooled'] as const;

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

function parseItem(
  line: string,
  lineNo: number,
  file: string,
): Result<CacheItem & { split: string }, string> {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return err(`${file}:${lineNo}: not JSON`);
  }
  if (typeof o !== 'object' || o === null) return err(`${file}:${lineNo}: expected an object`);
  const r = o as Record<string, unknown>;
  const id = r['id'];
  const split = r['split'];
  const timeIds = r['time_ids'];
  if (typeof id !== 'string' || id === '') return err(`${file}:${lineNo}: "id" must be a non-empty string`);
  if (typeof split !== 'string') return err(`${file}:${lineNo}: "split" must be a string`);
  if (!Array.isArray(timeIds) || !timeIds.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return err(`${file}:${lineNo}: "time_ids" must be an array of numbers`);
  }
  const caption = typeof r['caption'] === 'string' ? r['caption'] : '';
  return ok({ id, caption, split, timeIds: timeIds as number[] });
}

/** Opens a cache folder and checks every train item's tensors exist with consistent shapes. */
export async function openEmbeddingCache(dir: string): Promise<Result<EmbeddingCache, string>> {
  const itemsPath = join(dir, 'items.jsonl');
  let text: string;
  try {
    text = await readFile(itemsPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err(
      `${itemsPath}: ${code === 'ENOENT' ? 'no such file (is this an embeds.cache output?)' : String(e)}`,
    );
  }
  const items: (CacheItem & { split: string })[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const parsed = parseItem(line, i + 1, itemsPath);
    if (!parsed.ok) return parsed;
    items.push(parsed.value);
  }
  const train = items.filter((it) => it.split === 'train');
  if (train.length === 0)
    return err(`${itemsPath}: no items in the train split (${items.length} items in all)`);

  const tensorsPath = join(dir, 'tensors.safetensors');
  const opened = await openSafetensors(tensorsPath);
  if (!opened.ok) return err(opened.error.message);
  const reader = opened.value;
  const checked = checkItems(train, reader, tensorsPath);
  if (!checked.ok) {
    await reader.close();
    return checked;
  }
  let bytes = 0;
  for (const item of train)
    for (const part of PARTS) bytes += 4 * elements(reader.tensors.get(`${item.id}.${part}`)?.shape ?? []);
  if (bytes > PRELOAD_BYTES) {
    return ok({
      dir,
      ...checked.value,
      heldBytes: 0,
      readInto: (item, into) => readItem(reader, item, into),
      close: () => reader.close(),
    });
  }
  const held = new Map<string, Float32Array>();
  // Items with the same caption share one array of each embedding (read-only: batches copy from them).
  const interner = new TensorInterner();
  try {
    for (const item of train) {
      for (const part of PARTS) {
        const name = `${item.id}.${part}`;
        const data = await reader.read(name);
        const values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
        held.set(name, part === 'latents' ? values : interner.intern(values));
      }
    }
  } finally {
    await reader.close();
  }
  const distinct = new Set(held.values());
  return ok({
    dir,
    ...checked.value,
    heldBytes: [...distinct].reduce((n, a) => n + a.byteLength, 0),
    readInto: (item, into) => {
      copyItem(held, item, into);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
}

const elements = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

function copyItem(
  held: ReadonlyMap<string, Float32Array>,
  item: CacheItem,
  into: { latents: Float32Array; promptEmbeds: Float32Array; pooled: Float32Array },
): void {
  const targets = [into.latents, into.promptEmbeds, into.pooled];
  PARTS.forEach((part, k) => {
    const data = held.get(`${item.id}.${part}`);
    const target = targets[k] as Float32Array;
    if (data === undefined) throw new Error(`${item.id}.${part} is not in the cache's train split`);
    if (data.length !== target.length) {
      throw new Error(`${item.id}.${part} holds ${data.length} values, expected ${target.length}`);
    }
    target.set(data);
  });
}

type Layout = Pick<EmbeddingCache, 'groups' | 'embedShape' | 'pooledSize' | 'timeIdCount'>;

function checkItems(
  train: readonly (CacheItem & { split: string })[],
  reader: SafetensorsReader,
  file: string,
): Result<Layout, string> {
  let embedShape: readonly number[] | undefined;
  let pooledShape: readonly number[] | undefined;
  let timeIdCount: number | undefined;
  const groups = new Map<string, { latentShape: [number, number, number]; items: CacheItem[] }>();
  for (const item of train) {
    const shapes: (readonly number[])[] = [];
    for (const part of ['latents', 'prompt_embeds', 'pooled']) {
      const info = reader.tensors.get(`${item.id}.${part}`);
      if (info === undefined) return err(`${file}: no tensor ${item.id}.${part} for train item ${item.id}`);
      if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') {
        return err(`${file}: ${item.id}.${part} has dtype ${info.dtype}; expected a float tensor`);
      }
      shapes.push(info.shape);
    }
    const [latents, embeds, pooled] = shapes as [number[], number[], number[]];
    if (latents.length !== 3)
      return err(`${file}: ${item.id}.latents must be [C, h, w], got [${latents.join(', ')}]`);
    if (embeds.length !== 2)
      return err(`${file}: ${item.id}.prompt_embeds must be [tokens, D], got [${embeds.join(', ')}]`);
    if (pooled.length !== 1) return err(`${file}: ${item.id}.pooled must be [P], got [${pooled.join(', ')}]`);
    embedShape ??= embeds;
    pooledShape ??= pooled;
    timeIdCount ??= item.timeIds.length;
    if (!sameShape(embeds, embedShape) || !sameShape(pooled, pooledShape)) {
      return err(`${file}: item ${item.id}'s text embeddings are shaped differently from the first item's`);
    }
    if (item.timeIds.length !== timeIdCount) {
      return err(
        `${file}: item ${item.id} has ${item.timeIds.length} time_ids, the first item ${timeIdCount}`,
      );
    }
    const key = latents.join('x');
    const group = groups.get(key) ?? { latentShape: latents as [number, number, number], items: [] };
    group.items.push({ id: item.id, caption: item.caption, timeIds: item.timeIds });
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < 3; i++)
      if (a.latentShape[i] !== b.latentShape[i])
        return (a.latentShape[i] as number) - (b.latentShape[i] as number);
    return 0;
  });
  return ok({
    groups: sorted,
    embedShape: embedShape as [number, number],
    pooledSize: (pooledShape as number[])[0] as number,
    timeIdCount: timeIdCount as number,
  });
}

async function readItem(
  reader: SafetensorsReader,
  item: CacheItem,
  into: { latents: Float32Array; promptEmbeds: Float32Array; pooled: Float32Array },
): Promise<void> {
  const parts: [string, Float32Array][] = [
    ['latents', into.latents],
    ['prompt_embeds', into.promptEmbeds],
    ['pooled', into.pooled],
  ];
  for (const [part, target] of parts) {
    const data = await reader.read(`${item.id}.${part}`);
    if (data.length !== target.length) {
      throw new Error(`${item.id}.${part} holds ${data.length} values, expected ${target.length}`);
    }
    target.set(data as Float32Array);
  }
}
