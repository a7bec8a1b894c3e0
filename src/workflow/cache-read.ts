// Reading embeds.cache's output for evaluation: every item of a split with its tensors and time ids.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors } from '../formats/safetensors.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface CachedItem {
  readonly id: string;
  readonly caption: string;
  readonly split: string;
  readonly timeIds: readonly number[];
  /** [C, h, w]. */
  readonly latentShape: readonly [number, number, number];
  readonly latents: Float32Array;
  readonly promptEmbeds: Float32Array;
  /** [tokens, width]. */
  readonly embedShape: readonly [number, number];
  readonly pooled: Float32Array;
}

function parseLine(
  line: string,
  where: string,
): Result<{ id: string; caption: string; split: string; timeIds: number[] }, string> {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return err(`${where}: not JSON`);
  }
  const r = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
  const { id, split, caption } = r;
  const timeIds = r['time_ids'];
  if (typeof id !== 'string' || typeof split !== 'string')
    return err(`${where}: "id" and "split" must be strings`);
  if (!Array.isArray(timeIds) || !timeIds.every((v) => typeof v === 'number')) {
    return err(`${where}: "time_ids" must be a list of numbers`);
  }
  return ok({ id, split, caption: typeof caption === 'string' ? caption : '', timeIds: timeIds as number[] });
}

/** The items of `splits` (all items when empty), tensors loaded: evaluation sets are small. */
export async function readCachedItems(
  dir: string,
  splits: readonly string[],
): Promise<Result<CachedItem[], string>> {
  const itemsPath = join(dir, 'items.jsonl');
  let text: string;
  try {
    text = await readFile(itemsPath, 'utf8');
  } catch (e) {
    return err(
      `${itemsPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (is this an embeds.cache output?)' : (e as Error).message}`,
    );
  }
  const opened = await openSafetensors(join(dir, 'tensors.safetensors'));
  if (!opened.ok) return err(opened.error.message);
  const reader = opened.value;
  try {
    const items: CachedItem[] = [];
    for (const [n, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const parsed = parseLine(line, `${itemsPath}:${n + 1}`);
      if (!parsed.ok) return parsed;
      const it = parsed.value;
      if (splits.length > 0 && !splits.includes(it.split)) continue;
      const info = (name: string) => reader.tensors.get(`${it.id}.${name}`);
      const [l, e, p] = [info('latents'), info('prompt_embeds'), info('pooled')];
      if (!l || !e || !p || l.shape.length !== 3 || e.shape.length !== 2) {
        return err(`${dir}: item ${it.id} lacks latents [C,h,w], prompt_embeds [tokens,D] or pooled`);
      }
      const read = async (name: string) => {
        const data = await reader.read(`${it.id}.${name}`);
        if (!(data instanceof Float32Array))
          throw new Error(`${dir}: ${it.id}.${name} is not a float tensor`);
        return data;
      };
      items.push({
        ...it,
        latentShape: l.shape as [number, number, number],
        latents: await read('latents'),
        promptEmbeds: await read('prompt_embeds'),
        embedShape: e.shape as [number, number],
        pooled: await read('pooled'),
      });
    }
    return ok(items);
  } finally {
    await reader.close();
  }
}
