// musubi-tuner's settings for one training run, from either form it reads: the command line (a shell
// script or a text file holding `accelerate launch … wan_train_network.py --option …`) or a `--config_file`
// TOML, whose sections musubi-tuner flattens into one set of options and under which the command line wins.
// Each option remembers the file, line and column it came from.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { readTrainingCommand } from './command-line.js';
import type { TomlDocument, TomlValue } from './toml.js';
import { parseToml } from './toml.js';

export type OptionValue = TomlValue | true;

export interface Where {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface MusubiOption {
  readonly value: OptionValue;
  readonly where: Where;
}

export interface MusubiRun {
  /** The file given (the command, or the TOML). */
  readonly file: string;
  readonly options: ReadonlyMap<string, MusubiOption>;
  readonly notes: readonly string[];
  /** The command's --config_file, when it was read. */
  readonly configFile?: string;
}

export const at = (w: Where): string => `${w.file}:${w.line}:${w.col}`;

export async function readText(file: string): Promise<Result<string, string>> {
  try {
    return ok(await readFile(file, 'utf8'));
  } catch (e) {
    return err(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function readTomlFile(file: string): Promise<Result<TomlDocument, string>> {
  const text = await readText(file);
  if (!text.ok) return text;
  const doc = parseToml(text.value);
  return doc.ok ? doc : err(`${file}:${doc.error}`);
}

/** A path written in a file, relative to that file's folder. */
export const besides = (file: string, path: string): string =>
  isAbsolute(path) ? path : join(dirname(file), path);

function flattenConfig(file: string, doc: TomlDocument): Map<string, MusubiOption> {
  const out = new Map<string, MusubiOption>();
  for (const table of [doc.root, ...doc.tables.values()]) {
    for (const [key, v] of table) out.set(key, { value: v.value, where: { file, line: v.line, col: v.col } });
  }
  return out;
}

/**
 * Reads one run: `file` is a TOML (`.toml`: musubi-tuner's --config_file) or a command. A command's
 * --config_file is read too when it exists beside the command (musubi-tuner adds `.toml` if missing).
 */
export async function readMusubiRun(file: string): Promise<Result<MusubiRun, string>> {
  const notes: string[] = [];
  if (file.endsWith('.toml')) {
    const doc = await readTomlFile(file);
    if (!doc.ok) return doc;
    const options = flattenConfig(file, doc.value);
    if (doc.value.arrays.size > 0) {
      notes.push(`${file}: [[…]] tables are dataset entries: give them with --dataset, not as the config`);
    }
    return ok({ file, options, notes });
  }
  const text = await readText(file);
  if (!text.ok) return text;
  const command = readTrainingCommand(text.value);
  if (!command.ok) return err(`${file}:${command.error}`);
  const options = new Map<string, MusubiOption>();
  let read: string | undefined;
  const configFile = command.value.options.get('config_file');
  if (configFile !== undefined && typeof configFile.value === 'string') {
    const name = configFile.value.endsWith('.toml') ? configFile.value : `${configFile.value}.toml`;
    const path = besides(file, name);
    const doc = await readTomlFile(path);
    if (doc.ok) {
      read = path;
      for (const [k, v] of flattenConfig(path, doc.value)) options.set(k, v);
    } else if (/ENOENT/.test(doc.error))
      notes.push(`--config_file ${name} is not beside ${file}: imported without it`);
    else return doc;
  }
  for (const [name, o] of command.value.options) {
    if (name === 'config_file') continue;
    options.set(name, { value: o.value, where: { file, line: o.line, col: o.col } });
  }
  if (!/wan_train_network(\.py)?$/.test(command.value.script.text)) {
    notes.push(
      `${at({ file, ...command.value.script })}: ${command.value.script.text} is not wan_train_network.py; its options are read as Wan's`,
    );
  }
  return ok({ file, options, notes, ...(read === undefined ? {} : { configFile: read }) });
}
