// A command-line parser for the fast-path commands that accepts exactly what oclif accepts, the way it
// reads it, and nothing more: anything else (a flag error, `--help`, oclif's greedy multi-value flags
// swallowing a positional argument) makes it decline, and bin/moe.js hands the command line to oclif,
// which prints its usual message. So the fast path changes start-up time, never behaviour.
import type { CommandSpec, FlagSpec } from '../flags.js';

export type FlagValue = string | number | boolean | string[];

export interface ParsedCommand {
  readonly file: string;
  readonly flags: Readonly<Record<string, FlagValue>>;
  /** Whether the result goes out as JSON (`--json` before any `--`, or MOE_CONTENT_TYPE=json). */
  readonly json: boolean;
}

const JSON_FLAG: FlagSpec = { kind: 'boolean', description: 'Format output as json.' };

/** The parsed command line, or undefined when oclif must handle it. */
export function parseFast(
  spec: CommandSpec,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommand | undefined {
  const flags: Record<string, FlagSpec> = spec.jsonFlag
    ? { ...spec.flags, json: JSON_FLAG }
    : { ...spec.flags };
  const byChar = new Map<string, string>();
  for (const [name, f] of Object.entries(flags)) if (f.char !== undefined) byChar.set(f.char, name);
  const flagName = (token: string): string | undefined => {
    if (token.startsWith('--')) return Object.hasOwn(flags, token.slice(2)) ? token.slice(2) : undefined;
    if (token.startsWith('-')) return byChar.get(token.slice(1, 2));
    return undefined;
  };

  const values = new Map<string, string[]>();
  const args: string[] = [];
  const queue = [...argv];
  let parsingFlags = true;
  let current: FlagSpec | undefined;
  while (queue.length > 0) {
    const token = queue.shift() as string;
    if (parsingFlags && token === '--') {
      parsingFlags = false;
      continue;
    }
    if (parsingFlags && token.startsWith('-') && token !== '-') {
      if (token === '--help' || token === '-h') return undefined;
      const isLong = token.startsWith('--');
      let name = flagName(token);
      let attached: string | undefined;
      if (name === undefined && isLong && token.includes('=')) {
        const at = token.indexOf('=');
        name = flagName(token.slice(0, at));
        attached = token.slice(at + 1);
      } else if (name !== undefined && !isLong && token.length > 2) {
        attached = token.slice(token[2] === '=' ? 3 : 2);
      }
      const flag = name === undefined ? undefined : flags[name];
      if (name === undefined || flag === undefined) return undefined;
      const seen = values.get(name) ?? [];
      if (!flag.multiple && seen.length > 0) return undefined;
      if (flag.kind === 'boolean') {
        if (attached !== undefined) {
          // `-kn`: more short booleans; oclif reads the rest as the next token. `--json=x` is oclif's oddity.
          if (isLong || token[2] === '=') return undefined;
          queue.unshift(`-${attached}`);
        }
        values.set(name, [...seen, 'true']);
        continue;
      }
      current = flag;
      const value = attached ?? queue.shift();
      if (value === undefined || flagName(value) !== undefined) return undefined;
      values.set(name, [...seen, value]);
      continue;
    }
    // oclif's multi-value flags take every following plain word as another value.
    if (parsingFlags && current?.multiple) return undefined;
    args.push(token);
  }
  const file = args[0];
  if (file === undefined || args.length > 1) return undefined;
  const out = flagValues(flags, values);
  if (out === undefined) return undefined;
  const end = argv.indexOf('--');
  const jsonAt = argv.indexOf('--json');
  const json =
    spec.jsonFlag &&
    (env['MOE_CONTENT_TYPE']?.toLowerCase() === 'json' || (jsonAt !== -1 && (end === -1 || jsonAt < end)));
  return { file, flags: out, json };
}

/** Every flag's value as oclif gives it (defaults filled in), or undefined where oclif would refuse one. */
function flagValues(
  flags: Readonly<Record<string, FlagSpec>>,
  values: ReadonlyMap<string, readonly string[]>,
): Record<string, FlagValue> | undefined {
  const out: Record<string, FlagValue> = {};
  for (const [name, flag] of Object.entries(flags)) {
    const given = values.get(name);
    if (flag.kind === 'boolean') out[name] = given !== undefined;
    else if (flag.multiple) out[name] = [...(given ?? [])];
    else if (given?.[0] !== undefined) {
      const value = typed(flag, given[0]);
      if (value === undefined) return undefined;
      out[name] = value;
    } else if (flag.default !== undefined) out[name] = flag.default;
  }
  return out;
}

/** The value as its flag's type, or undefined where oclif would refuse it. */
function typed(flag: FlagSpec, text: string): string | number | undefined {
  if (flag.options !== undefined && !flag.options.includes(text)) return undefined;
  if (flag.kind !== 'integer') return text;
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = Number.parseInt(text, 10);
  return flag.min !== undefined && n < flag.min ? undefined : n;
}
