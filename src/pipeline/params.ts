// `params:` defaults and `--param name=value` overrides, coerced to the declared parameter's type.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import type { MapNode } from './node.js';
import { didYouMean } from './suggest.js';
import type { ParamValue } from './types.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface ParamsResult {
  readonly values: Map<string, ParamValue>;
  readonly ranges: Map<string, SourceRange>;
}

export function readParams(
  node: MapNode | undefined,
  overrides: Readonly<Record<string, string>>,
  diagnostics: Diagnostic[],
): ParamsResult {
  const values = new Map<string, ParamValue>();
  const ranges = new Map<string, SourceRange>();
  for (const e of node?.entries ?? []) {
    const v = e.value;
    // Other shapes were reported by the schema.
    if (
      v.kind === 'scalar' &&
      (typeof v.value === 'string' || typeof v.value === 'number' || typeof v.value === 'boolean')
    ) {
      values.set(e.key, v.value);
      ranges.set(e.key, e.keyRange);
    }
  }
  for (const [name, text] of Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const declared = values.get(name);
    if (declared === undefined) {
      const known = [...values.keys()];
      diagnostics.push({
        severity: 'error',
        code: 'unknown-param',
        message: `--param ${name}: the pipeline has no parameter \`${name}\``,
        suggestion:
          didYouMean(name, known) ??
          (known.length > 0
            ? `declared parameters: ${known.join(', ')}`
            : 'the pipeline declares no `params:`'),
      });
      continue;
    }
    const coerced = coerce(text, declared);
    if (!coerced.ok) {
      const range = ranges.get(name);
      diagnostics.push({
        severity: 'error',
        code: 'param-type',
        message: `--param ${name}=${text}: ${coerced.error}`,
        ...(range !== undefined ? { related: [{ message: `\`${name}\` is declared here`, range }] } : {}),
      });
      continue;
    }
    values.set(name, coerced.value);
  }
  return { values, ranges };
}

/** Parses `text` as the type of the declared default. */
export function coerce(text: string, declared: ParamValue): Result<ParamValue, string> {
  if (typeof declared === 'number') {
    const n = Number(text);
    if (
      text.trim() === '' ||
      !/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text.trim()) ||
      !Number.isFinite(n)
    ) {
      return err(`expected a number (the default is ${declared}), got \`${text}\``);
    }
    return ok(n);
  }
  if (typeof declared === 'boolean') {
    if (text === 'true') return ok(true);
    if (text === 'false') return ok(false);
    return err(`expected true or false (the default is ${declared}), got \`${text}\``);
  }
  return ok(text);
}

/**
 * `k=v` strings from the command line as a record (every name a parameter, `error` included); an entry
 * without `=` fails with the message to show.
 */
export function parseParamFlags(flags: readonly string[]): Result<Record<string, string>, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) return err(`--param expects name=value, got \`${f}\``);
    Object.defineProperty(out, f.slice(0, eq), {
      value: f.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return ok(out);
}
