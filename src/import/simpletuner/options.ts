// Reads a SimpleTuner config (config.json, or config.env) into a flat map of option names.
import { readFile } from 'node:fs/promises';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { parseConfigEnv } from './env-file.js';
import { jsonSyntaxError } from '../../util/json-syntax.js';

export type RawValue = string | number | boolean;
export type RawOptions = Readonly<Record<string, RawValue>>;

export interface ReadConfig {
  readonly file: string;
  readonly options: RawOptions;
  readonly unknownVariables: readonly string[];
  /** Where each option is written (1-based line and column of its key), for messages. */
  readonly positions?: ReadonlyMap<string, { readonly line: number; readonly col: number }>;
}

/** The line and column of each option's key in a config.json or config.env (one option per line). */
function keyPositions(text: string): Map<string, { line: number; col: number }> {
  const out = new Map<string, { line: number; col: number }>();
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^(\s*)(?:"(?:--)?([A-Za-z0-9_]+)"\s*:|(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=)/.exec(line);
    const key = m?.[2] ?? m?.[3];
    if (m && key !== undefined && !out.has(key)) out.set(key, { line: i + 1, col: (m[1] ?? '').length + 1 });
  });
  return out;
}

/** `file:line:col` of an option when known, else the file. */
export function whereIs(cfg: ReadConfig, option: string): string {
  const p = cfg.positions?.get(option);
  return p ? `${cfg.file}:${p.line}:${p.col}` : cfg.file;
}

export async function readSimpleTunerConfig(file: string): Promise<Result<ReadConfig, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return err(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (file.endsWith('.env') || (!file.endsWith('.json') && !text.trimStart().startsWith('{'))) {
    const env = parseConfigEnv(text);
    if (!env.ok) return err(`${file}: ${env.error}`);
    return ok({
      file,
      options: env.value.options,
      unknownVariables: env.value.unknownVariables,
      positions: keyPositions(text),
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return err(jsonSyntaxError(file, text, e));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err(`${file}: expected a JSON object of option names`);
  }
  const options: Record<string, RawValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const name = key.replace(/^--/, '');
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      options[name] = value;
    } else if (value !== null) {
      options[name] = JSON.stringify(value);
    }
  }
  return ok({ file, options, unknownVariables: [], positions: keyPositions(text) });
}

export async function readDatabackend(file: string): Promise<Result<Record<string, unknown>[], string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return err(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return err(jsonSyntaxError(file, text, e));
  }
  if (!Array.isArray(parsed) || parsed.some((d) => typeof d !== 'object' || d === null)) {
    return err(`${file}: expected a JSON array of data backends`);
  }
  return ok(parsed as Record<string, unknown>[]);
}
