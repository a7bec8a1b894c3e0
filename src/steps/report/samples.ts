// compose.inference's index.json → the base-only versus composed grid, and the sampler settings it
// records. Images are read from compose's `images` folder (the `images/` beside the index unless given;
// paths in the index are relative to it and may not leave it) and inlined.
//
// What is read: a list under `images`, `samples` or the top level, of either
//   { prompt, seed?, base_only|base: "file.png", composed|pair: "file.png", adherence?: {...} }
// or one entry per image: { prompt, seed?, kind|stage: "base_only"|"composed", file|path: "file.png" }.
// An entry's `adherence` (or `correct`/`passed`/`verdict` per image), or evaluate's score for that file,
// becomes the verdict under it.
import { dirname, join } from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import type { InlineImage, SampleCell, SampleRow, Samples, SettingsTable, Timing } from '../../html/index.js';
import type { ImageVerdict } from './evaluation.js';
import { cell } from './experts.js';
import { resolveInside } from '../dataset/paths.js';
import { isObject, numberOr, readJson, type Json, type Notes } from './read.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

type Column = 'base' | 'composed';
const COLUMNS: readonly { key: Column; label: string; tone: 'base' | 'pair' }[] = [
  { key: 'base', label: 'base only', tone: 'base' },
  { key: 'composed', label: 'base → refiner', tone: 'pair' },
];

function columnOf(kind: string): Column | undefined {
  const k = kind.toLowerCase();
  if (/compos|pair|refine|two|moe/.test(k)) return 'composed';
  if (k.startsWith('base')) return 'base';
  return undefined;
}

interface Entry {
  prompt: string;
  seed: number | undefined;
  files: Partial<Record<Column, string>>;
  verdicts: Partial<Record<Column, Json>>;
}

function entries(list: readonly Json[]): Entry[] {
  const byKey = new Map<string, Entry>();
  for (const e of list) {
    if (!isObject(e) || typeof e['prompt'] !== 'string') continue;
    const seed = numberOr(e['seed']);
    const key = `${e['prompt']}\u0000${seed ?? ''}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { prompt: e['prompt'], seed, files: {}, verdicts: {} };
      byKey.set(key, entry);
    }
    const kind = e['kind'] ?? e['stage'] ?? e['mode'];
    const file = e['file'] ?? e['path'] ?? e['image'];
    if (typeof kind === 'string' && typeof file === 'string') {
      const col = columnOf(kind);
      if (col) {
        entry.files[col] = file;
        const v = e['adherence'] ?? e['correct'] ?? e['passed'] ?? e['verdict'];
        if (v !== undefined) entry.verdicts[col] = v;
      }
      continue;
    }
    for (const [k, v] of Object.entries(e)) {
      const col = columnOf(k);
      if (col && typeof v === 'string') entry.files[col] = v;
      else if (col && isObject(v) && typeof (v['file'] ?? v['path']) === 'string') {
        entry.files[col] = (v['file'] ?? v['path']) as string;
        const verdict = v['adherence'] ?? v['correct'] ?? v['passed'];
        if (verdict !== undefined) entry.verdicts[col] = verdict;
      }
    }
    const adh = e['adherence'];
    if (isObject(adh)) {
      for (const [k, v] of Object.entries(adh)) {
        const col = columnOf(k);
        if (col) entry.verdicts[col] = v;
      }
    }
  }
  return [...byKey.values()];
}

/** A verdict as a cell note: booleans, or a scorer's object ({ correct|passed|ok|match, reading? }). */
function verdictNote(v: Json | undefined): Pick<SampleCell, 'note' | 'verdict'> {
  if (v === undefined) return {};
  if (typeof v === 'boolean') return { note: v ? '✓ follows the prompt' : '✗ misses the prompt', verdict: v };
  if (isObject(v)) {
    const okv = v['correct'] ?? v['passed'] ?? v['ok'] ?? v['match'];
    const reading = v['reading'];
    if (typeof okv === 'boolean') {
      const what =
        typeof reading === 'string' && reading !== ''
          ? reading
          : okv
            ? 'follows the prompt'
            : 'misses the prompt';
      return { note: `${okv ? '✓' : '✗'} ${what}`, verdict: okv };
    }
  }
  return {};
}

async function inline(root: string, file: string, notes: Notes): Promise<InlineImage | null> {
  const path = resolveInside(root, file);
  if (!path.ok) {
    notes.add(`index.json: ${path.error}`);
    return null;
  }
  try {
    const bytes = await readFile(path.value);
    if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
      notes.add(`index.json: ${file} is not a PNG image`);
      return null;
    }
    // IHDR: width and height are the big-endian words at bytes 16 and 20.
    return { mime: 'image/png', bytes, width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  } catch (e) {
    notes.add(`index.json: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return null;
  }
}

export interface SampleParts {
  readonly samples: Samples | undefined;
  readonly timing: Timing | undefined;
  readonly settings: SettingsTable | undefined;
}

/** index.json keys that describe the sampler, shown as settings. */
const SAMPLER_KEYS = [
  'scheduler',
  'steps',
  'split',
  'cutoff',
  'base_steps',
  'refiner_steps',
  'guidance_scale',
  'guidance_rescale',
  'width',
  'height',
  'negative_prompt',
];

/** evaluate's verdict under an image: strict (every check holds), with each check marked. */
function scoreVerdict(v: ImageVerdict | undefined): Pick<SampleCell, 'note' | 'verdict' | 'checks' | 'seen'> {
  if (v === undefined) return {};
  const ok = v.adherent ?? v.score === 1;
  const checks = v.checks;
  return {
    note: ok
      ? '✓ follows the prompt'
      : checks.length
        ? `✗ ${checks.filter((c) => c.held).length} of ${checks.length} checks`
        : `✗ score ${v.score.toFixed(2)}`,
    verdict: ok,
    ...(checks.length ? { checks } : {}),
    ...(v.seen ? { seen: v.seen } : {}),
  };
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

export async function readSamples(
  indexPath: string,
  imagesDir: string | undefined,
  maxRows: number,
  scores: ReadonlyMap<string, ImageVerdict>,
  notes: Notes,
): Promise<SampleParts> {
  const json = await readJson(indexPath, 'index.json', notes);
  if (json === undefined) return { samples: undefined, timing: undefined, settings: undefined };
  const list = Array.isArray(json)
    ? json
    : isObject(json)
      ? (json['images'] ?? json['samples'] ?? json['entries'])
      : undefined;
  if (!Array.isArray(list)) {
    notes.add('index.json: expected a list of samples (under `images` or `samples`)');
    return { samples: undefined, timing: undefined, settings: undefined };
  }
  const all = entries(list);
  if (all.length > maxRows)
    notes.add(`samples: showing ${maxRows} of ${all.length} prompt/seed pairs (max_samples)`);
  const beside = join(dirname(indexPath), 'images');
  const root = imagesDir ?? ((await isDir(beside)) ? beside : dirname(indexPath));
  const rows: SampleRow[] = [];
  for (const e of all.slice(0, maxRows)) {
    const cells: SampleCell[] = [];
    for (const c of COLUMNS) {
      const file = e.files[c.key];
      const given = e.verdicts[c.key];
      cells.push({
        image: file === undefined ? null : await inline(root, file, notes),
        ...(given !== undefined
          ? verdictNote(given)
          : scoreVerdict(file === undefined ? undefined : scores.get(file))),
      });
    }
    rows.push({ prompt: e.prompt, ...(e.seed !== undefined ? { seed: e.seed } : {}), cells });
  }
  const seconds = isObject(json) ? numberOr(json['elapsed_s']) : undefined;
  const sampler = isObject(json) ? SAMPLER_KEYS.filter((k) => json[k] !== undefined) : [];
  return {
    samples: rows.length ? { columns: COLUMNS.map(({ label, tone }) => ({ label, tone })), rows } : undefined,
    timing: seconds === undefined ? undefined : { label: 'compose', seconds },
    settings:
      isObject(json) && sampler.length > 0
        ? {
            title: 'Two-stage inference',
            columns: ['value'],
            rows: sampler.map((key) => ({ key, values: [cell(json[key])] })),
          }
        : undefined,
  };
}
