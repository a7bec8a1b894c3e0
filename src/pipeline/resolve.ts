// Evaluating a node's `with` template into plain JSON at run time.
import type { Diagnostic } from './diagnostic.js';
import { evaluate } from './expr/evaluate.js';
import type { Evaluation } from './expr/evaluate.js';
import { valueToText } from './expr/functions.js';
import { defineKey } from './node.js';
import { shellContexts, shellEscape } from './shell.js';
import { isSingleExpression, splitParts } from './template.js';
import type { Expr, JsonValue, ResolveContext, ResolvedWith, WithTemplate } from './types.js';
import { err, ok } from '../util/result.js';
import type { Result } from '../util/result.js';

export interface ResolveOptions {
  /** Top-level `with` keys holding shell command lines: values inserted there are shell-quoted. */
  readonly shellFields: ReadonlySet<string>;
}

/**
 * Evaluates every `${{ }}` in `template`. A string that is exactly one expression keeps the expression's
 * type; other strings get the values as text. Under a shell field every inserted value is escaped for the
 * quoting context it lands in, so `'; rm -rf ~` stays one harmless word. Returns every problem at once.
 */
export function resolveWith(
  template: WithTemplate,
  ctx: ResolveContext,
  opts: ResolveOptions,
): Result<ResolvedWith, Diagnostic[]> {
  const state: Evaluation = { envRead: new Set() };
  const problems: Diagnostic[] = [];
  const walk = (t: WithTemplate, shell: boolean): JsonValue => {
    switch (t.kind) {
      case 'literal':
        return t.value;
      case 'list':
        return t.items.map((i) => walk(i, shell));
      case 'map': {
        const out: Record<string, JsonValue> = {};
        for (const [key, value] of t.entries)
          defineKey(out, key, walk(value, shell || (t === template && opts.shellFields.has(key))));
        return out;
      }
      case 'interpolated':
        return shell ? shellText(t, ctx, state, problems) : plain(t.parts, ctx, state, problems);
    }
  };
  const value = walk(template, false);
  if (problems.length > 0) return err(problems);
  return ok({ value, envRead: [...state.envRead].sort() });
}

function plain(
  parts: readonly (string | Expr)[],
  ctx: ResolveContext,
  state: Evaluation,
  problems: Diagnostic[],
): JsonValue {
  if (isSingleExpression(parts)) return evalOne(parts[0], ctx, state, problems) ?? null;
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = evalOne(p, ctx, state, problems);
      if (v !== undefined) out += valueToText(v);
    }
  }
  return out;
}

function shellText(
  t: Extract<WithTemplate, { kind: 'interpolated' }>,
  ctx: ResolveContext,
  state: Evaluation,
  problems: Diagnostic[],
): string {
  const { literals, exprs } = splitParts(t.parts);
  const { contexts, errors } = shellContexts(literals);
  for (const problem of errors) {
    const range = exprs[problem.index]?.range ?? t.range;
    problems.push({ severity: 'error', code: 'shell-context', message: problem.message, range });
  }
  if (errors.length > 0) return '';
  let out = literals[0] ?? '';
  exprs.forEach((e, i) => {
    const v = evalOne(e, ctx, state, problems);
    if (v !== undefined) {
      const text = valueToText(v);
      if (text.includes('\0')) {
        problems.push({
          severity: 'error',
          code: 'shell-context',
          message: 'a value for a shell command contains a NUL character',
          range: e.range,
        });
      } else {
        out += shellEscape(text, contexts[i] ?? 'unquoted');
      }
    }
    out += literals[i + 1] ?? '';
  });
  return out;
}

function evalOne(
  e: Expr,
  ctx: ResolveContext,
  state: Evaluation,
  problems: Diagnostic[],
): string | number | boolean | undefined {
  const r = evaluate(e, ctx, state);
  if ('error' in r) {
    problems.push(r.error);
    return undefined;
  }
  return r.value;
}
