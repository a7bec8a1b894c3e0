// Reading upstream files for the report. A missing or malformed file is never fatal: the report shows
// what it can and lists the problem under "Notes on the data".
import { readFile } from 'node:fs/promises';

/** Problems found while reading, shown on the page. */
export class Notes {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
}

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export const isObject = (v: unknown): v is Readonly<Record<string, Json>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const numberOr = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

export async function readText(path: string, what: string, notes: Notes): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    notes.add(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return undefined;
  }
}

export async function readJson(path: string, what: string, notes: Notes): Promise<Json | undefined> {
  const text = await readText(path, what, notes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    notes.add(`${what}: ${path} is not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

/** JSON Lines; a bad line is noted (once, with a count) and skipped. */
export async function readJsonLines(path: string, what: string, notes: Notes): Promise<Json[] | undefined> {
  const text = await readText(path, what, notes);
  if (text === undefined) return undefined;
  const out: Json[] = [];
  let bad = 0;
  let firstBad = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as Json);
    } catch {
      if (bad++ === 0) firstBad = i + 1;
    }
  });
  if (bad > 0) notes.add(`${what}: ${bad} unreadable line(s) in ${path}, the first at line ${firstBad}`);
  return out;
}
