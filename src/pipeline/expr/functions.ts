// The functions an expression may call. A closed table: nothing else is reachable from an expression.
import type { ExprType } from './check.js';

export type Value = string | number | boolean;

export interface FunctionSpec {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** The type each argument must have (the last entry repeats); undefined accepts any type. */
  readonly params: readonly (ExprType | undefined)[];
  readonly result: ExprType;
  readonly signature: string;
  /** Returns the value, or an error message. Arguments have already been type-checked. */
  apply(args: readonly Value[]): Value | { error: string };
}

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  [
    'min',
    {
      minArgs: 1,
      maxArgs: Infinity,
      params: ['number'],
      result: 'number',
      signature: 'min(number, …)',
      apply: (args) => Math.min(...(args as number[])),
    },
  ],
  [
    'max',
    {
      minArgs: 1,
      maxArgs: Infinity,
      params: ['number'],
      result: 'number',
      signature: 'max(number, …)',
      apply: (args) => Math.max(...(args as number[])),
    },
  ],
  [
    'round',
    {
      minArgs: 1,
      maxArgs: 2,
      params: ['number', 'number'],
      result: 'number',
      signature: 'round(number, digits?)',
      apply: ([x, digits = 0]) => {
        const d = digits as number;
        if (!Number.isInteger(d) || d < 0 || d > 15)
          return { error: `round: digits must be a whole number from 0 to 15, got ${d}` };
        const scale = 10 ** d;
        // Half away from zero, as people round by hand; Math.round would send -2.5 to -2.
        return (Math.sign(x as number) * Math.round(Math.abs(x as number) * scale)) / scale;
      },
    },
  ],
  [
    'format',
    {
      minArgs: 1,
      maxArgs: Infinity,
      params: ['string', undefined],
      result: 'string',
      signature: "format('{0}-{1}', value, …)",
      apply: ([pattern, ...rest]) => formatString(pattern as string, rest),
    },
  ],
]);

/** `{0}` inserts the first value, `{{` and `}}` are literal braces. */
export function formatString(pattern: string, args: readonly Value[]): string | { error: string } {
  const problem = checkFormat(pattern, args.length);
  if (problem !== undefined) return { error: problem };
  return pattern.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, index: string | undefined) =>
    index === undefined ? m.charAt(0) : valueToText(args[Number(index)] ?? ''),
  );
}

/** A message when `pattern` is malformed or refers past the `count` values given. */
export function checkFormat(pattern: string, count: number): string | undefined {
  const rest = pattern.replace(/\{\{|\}\}/g, '');
  for (const m of rest.matchAll(/\{(\d+)\}|[{}]/g)) {
    if (m[1] === undefined)
      return `format: a lone \`${m[0]}\` in the pattern (write \`${m[0]}${m[0]}\` for a brace)`;
    if (Number(m[1]) >= count)
      return `format: \`{${m[1]}}\` refers to a value that is not given (${count} given)`;
  }
  return undefined;
}

/** How a value reads inside a string. Numbers keep 15 significant digits, so 0.1 + 0.2 reads `0.3`. */
export function valueToText(v: Value): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(15)));
  return String(v);
}
