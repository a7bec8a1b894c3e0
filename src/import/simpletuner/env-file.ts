// Reads SimpleTuner's older config.env: shell-style `export KEY=value` lines, where values may be quoted
// and may expand earlier keys (`${TRAINER_EXTRA_ARGS} --flag`). Known variable names map to option names;
// TRAINER_EXTRA_ARGS is split into `--option[=value]` words. Nothing is executed.
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { ENV_TO_OPTION } from './env-map.js';
import type { RawOptions } from './options.js';

export interface EnvConfig {
  readonly options: RawOptions;
  /** Variables set in the file that no option corresponds to. */
  readonly unknownVariables: readonly string[];
  /** Variables SimpleTuner maps to a flag, set to false here: the flag stays off (USE_DORA=false). */
  readonly flagsOff: readonly string[];
}

export function parseConfigEnv(text: string): Result<EnvConfig, string> {
  const vars = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1]) return err(`line ${i + 1}: expected KEY=value, got: ${line}`);
    const value = unquote(m[2] ?? '', vars);
    if (!value.ok) return err(`line ${i + 1}: ${value.error}`);
    vars.set(m[1], value.value);
  }
  const options: Record<string, string | boolean> = {};
  const unknownVariables: string[] = [];
  const flagsOff: string[] = [];
  for (const [name, value] of vars) {
    if (name === 'TRAINER_EXTRA_ARGS') continue;
    const option = ENV_TO_OPTION[name];
    if (option === undefined) {
      unknownVariables.push(name);
      continue;
    }
    // As SimpleTuner's load_env_config: `true` becomes the bare flag, `false` adds nothing.
    const lower = value.toLowerCase();
    const [key, fixed] = typeof option === 'string' ? [option, undefined] : option;
    if (lower === 'false') flagsOff.push(name);
    else if (lower === 'true') options[key] = fixed ?? true;
    else options[key] = fixed !== undefined ? fixed : value;
  }
  const extra = vars.get('TRAINER_EXTRA_ARGS');
  if (extra !== undefined) {
    const parsed = parseArgs(splitWords(extra));
    if (!parsed.ok) return parsed;
    Object.assign(options, parsed.value);
  }
  return ok({ options, unknownVariables, flagsOff });
}

/** `--a=1 --b 2 --flag` → { a: '1', b: '2', flag: true }. */
export function parseArgs(words: readonly string[]): Result<Record<string, string | boolean>, string> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('--')) return err(`TRAINER_EXTRA_ARGS: expected an --option, got "${word}"`);
    const eq = word.indexOf('=');
    if (eq > 0) {
      out[word.slice(2, eq)] = word.slice(eq + 1);
      continue;
    }
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out[word.slice(2)] = next;
      i++;
    } else out[word.slice(2)] = true;
  }
  return ok(out);
}

function unquote(raw: string, vars: ReadonlyMap<string, string>): Result<string, string> {
  const v = raw.trim();
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2) return err('unterminated single quote');
    return ok(v.slice(1, -1));
  }
  let body = v;
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) return err('unterminated double quote');
    body = v.slice(1, -1);
  } else {
    const hash = body.search(/\s#/);
    if (hash >= 0) body = body.slice(0, hash).trim();
  }
  return ok(
    body.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, a: string | undefined, b: string | undefined) => vars.get(a ?? b ?? '') ?? '',
    ),
  );
}

/** Splits on whitespace, honouring single and double quotes inside the value. */
function splitWords(s: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let current = '';
  let last = -1;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    if (m.index === last && current !== '') current += piece;
    else {
      if (current !== '') words.push(current);
      current = piece;
    }
    last = m.index + m[0].length;
  }
  if (current !== '') words.push(current);
  return words;
}
