// Where captioned images come from: sidecar `.txt` files next to each image, or a JSONL/CSV manifest.
// Both produce the same list of candidates in a stable order; problems found here become skips.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { parseCsv } from './csv.js';
import { resolveInside } from './paths.js';
import type { Skipped } from './skip.js';
import { err, ok, type Result } from '../../util/result.js';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
]);

export interface Candidate {
  /** Relative to the folder, `/`-separated: what reports show. */
  readonly source: string;
  readonly path: string;
  readonly caption: string;
}

export interface Sources {
  readonly candidates: readonly Candidate[];
  readonly skipped: readonly Skipped[];
}

const toPosix = (p: string) => p.split(sep).join('/');
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  const names = (await readdir(dir)).sort(byCodeUnit);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = await lstat(path);
    // Symlinked directories are not followed: they can form cycles.
    if (st.isDirectory()) found.push(...(await walk(path)));
    else found.push(path);
  }
  return found;
}

async function readCaption(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Sidecar mode: every image file under `folder` (recursively, hidden files skipped) with `<stem>.txt`. */
export async function sidecarSources(folder: string): Promise<Sources> {
  const candidates: Candidate[] = [];
  const skipped: Skipped[] = [];
  for (const path of await walk(folder)) {
    const ext = extname(path);
    if (!IMAGE_EXTENSIONS.has(ext.toLowerCase())) continue;
    const source = toPosix(relative(folder, path));
    const caption = await readCaption(path.slice(0, path.length - ext.length) + '.txt');
    if (caption === undefined) {
      skipped.push({
        source,
        reason: 'missing_caption',
        detail: `no caption file ${source.slice(0, source.length - ext.length)}.txt`,
      });
    } else candidates.push({ source, path, caption: caption.trim() });
  }
  return { candidates, skipped };
}

export interface ManifestColumns {
  /** Column (CSV) or key (JSONL) holding the image path; by default `file`, else `file_name`. */
  readonly file: string | undefined;
  /** By default `caption`, else `text`. */
  readonly caption: string | undefined;
}

type Row =
  | { readonly line: number; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly line: number; readonly error: string };

function jsonlRows(text: string): Row[] {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const v: unknown = JSON.parse(raw);
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        rows.push({ line: i + 1, error: 'expected a JSON object' });
      else rows.push({ line: i + 1, fields: v as Record<string, unknown> });
    } catch (e) {
      rows.push({ line: i + 1, error: `invalid JSON (${(e as Error).message})` });
    }
  });
  return rows;
}

function csvRows(text: string): Result<Row[], string> {
  const parsed = parseCsv(text);
  if (!parsed.ok) return parsed;
  const [header, ...body] = parsed.value;
  if (!header) return err('the CSV manifest is empty (expected a header row)');
  return ok(
    body.map((cells, i) => {
      const fields: Record<string, string> = {};
      header.forEach((h, j) => (fields[h.trim()] = cells[j] ?? ''));
      return { line: i + 2, fields };
    }),
  );
}

function pick(
  fields: Readonly<Record<string, unknown>>,
  wanted: string | undefined,
  fallbacks: readonly string[],
): unknown {
  if (wanted !== undefined) return fields[wanted];
  for (const k of fallbacks) if (k in fields) return fields[k];
  return undefined;
}

/**
 * Manifest mode: rows of (file, caption); files are relative to `folder` and must stay inside it. A
 * manifest that cannot be read at all is an error (nothing to skip); a bad row is a skip.
 */
export async function manifestSources(
  folder: string,
  manifestPath: string,
  columns: ManifestColumns,
): Promise<Result<Sources, string>> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    return err(`cannot read manifest ${manifestPath}: ${(e as Error).message}`);
  }
  const lower = manifestPath.toLowerCase();
  let rows: Row[];
  if (lower.endsWith('.csv')) {
    const r = csvRows(text);
    if (!r.ok) return err(`manifest ${manifestPath}: ${r.error}`);
    rows = r.value;
  } else if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) rows = jsonlRows(text);
  else return err(`manifest ${manifestPath}: expected a .jsonl or .csv file`);
  const fileKeys = columns.file === undefined ? 'file or file_name' : columns.file;
  const captionKeys = columns.caption === undefined ? 'caption or text' : columns.caption;
  const candidates: Candidate[] = [];
  const skipped: Skipped[] = [];
  for (const row of rows) {
    const where = `manifest:${row.line}`;
    if ('error' in row) {
      skipped.push({ source: where, reason: 'bad_manifest_row', detail: row.error });
      continue;
    }
    const file = pick(row.fields, columns.file, ['file', 'file_name']);
    const caption = pick(row.fields, columns.caption, ['caption', 'text']);
    if (typeof file !== 'string' || typeof caption !== 'string') {
      const missing = typeof file !== 'string' ? fileKeys : captionKeys;
      skipped.push({ source: where, reason: 'bad_manifest_row', detail: `no string value for ${missing}` });
      continue;
    }
    const resolved = resolveInside(folder, file);
    if (!resolved.ok) {
      skipped.push({ source: `${where} (${file})`, reason: 'outside_folder', detail: resolved.error });
      continue;
    }
    const source = toPosix(relative(folder, resolved.value));
    try {
      await lstat(resolved.value);
    } catch {
      skipped.push({
        source,
        reason: 'missing_file',
        detail: `${where} names ${file}, which does not exist`,
      });
      continue;
    }
    candidates.push({ source, path: resolved.value, caption: caption.trim() });
  }
  return ok({ candidates, skipped });
}
