// The embedding cache and the data set: how many items and prompts, the split, cache reuse and images
// skipped, from what those steps write.
import { join } from 'node:path';
import type { CacheReuse, Scalar, Timing } from '../../html/index.js';
import { isObject, numberOr, readJson, readJsonLines, type Notes } from './read.js';

export interface InputParts {
  readonly rows: { key: string; values: Scalar[] }[];
  readonly cache: CacheReuse[];
  readonly timings: Timing[];
}

export async function readCache(dir: string, notes: Notes): Promise<InputParts> {
  const rows: InputParts['rows'] = [];
  const items = await readJsonLines(join(dir, 'items.jsonl'), 'embedding cache', notes);
  if (items) {
    const split = new Map<string, number>();
    for (const it of items) {
      const s = isObject(it) && typeof it['split'] === 'string' ? it['split'] : 'unknown';
      split.set(s, (split.get(s) ?? 0) + 1);
    }
    rows.push({ key: 'cached items', values: [items.length] });
    for (const [s, n] of [...split].sort()) rows.push({ key: `items in split ${s}`, values: [n] });
  }
  const prompts = await readJsonLines(join(dir, 'prompts.jsonl'), 'embedding cache prompts', notes);
  if (prompts) rows.push({ key: 'cached prompts', values: [prompts.length] });
  // Reuse counts, when the cache step records them beside its tensors (summary.json).
  const cache: CacheReuse[] = [];
  const timings: Timing[] = [];
  const quiet = { add: () => undefined } as unknown as Notes;
  const summary = await readJson(join(dir, 'summary.json'), 'embedding cache summary', quiet);
  if (isObject(summary)) {
    for (const kind of ['items', 'prompts']) {
      const encoded = numberOr(summary[`${kind}_encoded`]);
      const reused = numberOr(summary[`${kind}_reused`]);
      if (encoded !== undefined && reused !== undefined)
        cache.push({ label: `embedding cache: ${kind}`, encoded, reused });
    }
    const seconds = numberOr(summary['elapsed_s']);
    if (seconds !== undefined) timings.push({ label: 'embeds.cache', seconds });
  }
  return { rows, cache, timings };
}

export async function readDatasetReport(path: string, notes: Notes): Promise<InputParts['rows']> {
  const json = await readJson(path, 'dataset report', notes);
  if (!isObject(json)) return [];
  const rows: InputParts['rows'] = [];
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'number') rows.push({ key: `dataset ${k}`, values: [v] });
  }
  return rows;
}
