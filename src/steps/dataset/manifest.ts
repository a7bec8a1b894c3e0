// The manifest dataset.images writes (manifest.jsonl, one item per line) and the reader that downstream
// steps (embeds.cache, evaluate) use. The field names are the contract.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { resolveInside } from './paths.js';
import type { Split } from './split.js';
import { err, ok, type Result } from '../../util/result.js';

export interface ManifestItem {
  /** sha256 of the decoded source pixels (see pixelDigest): the cache key for this image's content. */
  readonly id: string;
  readonly caption: string;
  /** The resized, cropped PNG, relative to the manifest's directory (`images/<id>.png`). */
  readonly file: string;
  /** Where it came from, relative to the input folder. */
  readonly source: string;
  /** Size of the source image [h, w], for SDXL time_ids. */
  readonly original_size: readonly [number, number];
  /** Crop corner [top, left] in the resized image, for SDXL time_ids. */
  readonly crop_top_left: readonly [number, number];
  /** Size of the written image (its bucket) [h, w], for SDXL time_ids. */
  readonly target_size: readonly [number, number];
  readonly split: Split;
}

/** One line of manifest.jsonl; keys in a fixed order so equal items give equal bytes. */
export function manifestLine(item: ManifestItem): string {
  return JSON.stringify({
    id: item.id,
    caption: item.caption,
    file: item.file,
    source: item.source,
    original_size: item.original_size,
    crop_top_left: item.crop_top_left,
    target_size: item.target_size,
    split: item.split,
  });
}

/** SDXL's six micro-conditioning values: [orig_h, orig_w, crop_top, crop_left, target_h, target_w]. */
export function timeIds(item: ManifestItem): [number, number, number, number, number, number] {
  return [...item.original_size, ...item.crop_top_left, ...item.target_size];
}

const isPair = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) >= 0);

function parseItem(v: unknown): string | ManifestItem {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected a JSON object';
  const o = v as Record<string, unknown>;
  for (const k of ['id', 'caption', 'file', 'source'] as const)
    if (typeof o[k] !== 'string') return `"${k}" must be a string`;
  for (const k of ['original_size', 'crop_top_left', 'target_size'] as const) {
    if (!isPair(o[k])) return `"${k}" must be two non-negative integers`;
  }
  if (o['split'] !== 'train' && o['split'] !== 'eval') return '"split" must be "train" or "eval"';
  return o as unknown as ManifestItem;
}

export interface LoadedManifest {
  readonly items: readonly ManifestItem[];
  /** Absolute path of each item's image, in the same order. */
  readonly files: readonly string[];
}

/** Reads and checks a manifest.jsonl; image paths must stay beside the manifest. */
export async function readDatasetManifest(path: string): Promise<Result<LoadedManifest, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return err(`cannot read manifest ${path}: ${(e as Error).message}`);
  }
  const root = dirname(resolve(path));
  const items: ManifestItem[] = [];
  const files: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return err(`${path}:${i + 1}: invalid JSON`);
    }
    const item = parseItem(parsed);
    if (typeof item === 'string') return err(`${path}:${i + 1}: ${item}`);
    const file = resolveInside(root, item.file);
    if (!file.ok) return err(`${path}:${i + 1}: ${file.error}`);
    items.push(item);
    files.push(file.value);
  }
  return ok({ items, files });
}
