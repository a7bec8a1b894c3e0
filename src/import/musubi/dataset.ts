// musubi-tuner's dataset TOML (`--dataset_config`): [general] settings and [[datasets]] entries (image or
// video folders). moe trains on one image folder with .txt captions: the first image entry is imported,
// its settings over [general]'s, and everything else is listed with the reason.
import type { JsonValue } from '../../pipeline/types.js';
import type { Located, TomlDocument, TomlTable, TomlValue } from './toml.js';
import type { Where } from './options.js';

export interface NotCarried {
  readonly where: Where;
  readonly option: string;
  readonly value: string;
  readonly reason: string;
}

export interface ImportedDataset {
  readonly path: string | undefined;
  /** moe's resolution: the side of a square with the same area as musubi-tuner's [width, height]. */
  readonly resolution: number | undefined;
  readonly size: readonly [number, number] | undefined;
  readonly batchSize: number | undefined;
  readonly buckets: boolean;
  readonly notes: readonly string[];
}

const show = (v: TomlValue | true): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Settings dataset.images or train.expert carry, and the video-only ones listed once per entry. */
const CARRIED = new Set([
  'image_directory',
  'resolution',
  'batch_size',
  'enable_bucket',
  'caption_extension',
]);
const MANAGED = new Set(['cache_directory']);

export function importDataset(file: string, doc: TomlDocument, notCarried: NotCarried[]): ImportedDataset {
  const general = doc.tables.get('general') ?? new Map<string, Located<TomlValue>>();
  const entries = doc.arrays.get('datasets') ?? [];
  const where = (v: Located<TomlValue>): Where => ({ file, line: v.line, col: v.col });
  const drop = (name: string, v: Located<TomlValue>, reason: string) =>
    notCarried.push({ where: where(v), option: name, value: show(v.value), reason });
  const notes: string[] = [];
  const images = entries.findIndex((e) => e.has('image_directory'));
  entries.forEach((entry, i) => {
    if (i === images) return;
    const first = [...entry.entries()][0];
    if (first === undefined) return;
    const kind =
      entry.has('video_directory') || entry.has('video_jsonl_file') ? 'a video data set' : undefined;
    drop(
      `datasets[${i}].${first[0]}`,
      first[1],
      kind !== undefined
        ? `${kind}: moe trains on images only`
        : i > images && images >= 0
          ? 'moe trains on one image folder: the first one is imported'
          : 'moe reads a folder of images with .txt captions (image_directory)',
    );
  });
  const entry: TomlTable = entries[images] ?? new Map<string, Located<TomlValue>>();
  const get = (key: string): Located<TomlValue> | undefined => entry.get(key) ?? general.get(key);
  for (const [prefix, table] of [
    ['general', general],
    [`datasets[${images}]`, entry],
  ] as const) {
    for (const [key, v] of table) {
      if (CARRIED.has(key) || MANAGED.has(key) || (prefix === 'general' && entry.has(key))) continue;
      drop(`${prefix}.${key}`, v, reasonFor(key));
    }
  }
  if (images < 0)
    notes.push(`${file}: no [[datasets]] entry with image_directory: set params.data to your image folder`);
  const caption = get('caption_extension');
  if (caption !== undefined && caption.value !== '.txt') {
    drop('caption_extension', caption, 'dataset.images reads captions from .txt files beside the images');
  }
  const res = get('resolution');
  let size: [number, number] | undefined;
  if (res !== undefined) {
    const v = res.value;
    const pair = Array.isArray(v) ? v : typeof v === 'number' ? [v, v] : [];
    const [w, h] = pair;
    if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) size = [w, h];
    else drop('resolution', res, 'expected [width, height]');
  }
  const batch = get('batch_size');
  const batchSize =
    typeof batch?.value === 'number' && Number.isInteger(batch.value) ? batch.value : undefined;
  if (batch !== undefined && batchSize === undefined) drop('batch_size', batch, 'expected an integer');
  if (entry.has('cache_directory') || general.has('cache_directory')) {
    notes.push(
      `${file}: cache_directory is not used: moe caches latents and text embeddings in its workspace`,
    );
  }
  const folder = entry.get('image_directory');
  const dir = folder?.value;
  if (folder !== undefined && (typeof dir !== 'string' || dir === '')) {
    drop(`datasets[${images}].image_directory`, folder, 'expected a folder path (a string)');
    notes.push(`${file}: image_directory is not a folder path: set params.data to your image folder`);
  }
  return {
    path: typeof dir === 'string' ? dir : undefined,
    resolution: size ? Math.max(8, Math.round(Math.sqrt(size[0] * size[1]) / 8) * 8) : undefined,
    size,
    batchSize,
    buckets: get('enable_bucket')?.value === true,
    notes,
  };
}

function reasonFor(key: string): string {
  if (key === 'num_repeats') return 'moe draws batches from the whole image set; repeats have no counterpart';
  if (key === 'bucket_no_upscale') return "dataset.images' buckets always fit the image to the bucket";
  if (/frame|fps|video/.test(key)) return 'a video setting: moe trains on images';
  return 'dataset.images has no counterpart';
}

export const datasetWith = (d: ImportedDataset): Record<string, JsonValue> =>
  d.batchSize !== undefined ? { batch_size: d.batchSize } : {};
