// Evaluation of a checked expression. A closed interpreter over the AST: references are looked up in
// Maps and callbacks by name, never as properties of JavaScript objects, so `constructor` or
// `__proto__` can only ever be unknown names.
import type { Diagnostic } from '../diagnostic.js';
import { nodeId } from '../../util/brand.js';
import type { Expr, ResolveContext } from '../types.js';
import { binaryProblem, typeOfValue } from './check.js';
import { FUNCTIONS } from './functions.js';
import type { Value } from './functions.js';

export interface Evaluation {
  readonly envRead: Set<string>;
}

class EvalFailure {
  constructor(readonly diagnostic: Diagnostic) {}
}

export function evaluate(
  expr: Expr,
  ctx: ResolveContext,
  state: Evaluation,
): { value: Value } | { error: Diagnostic } {
  try {
    return { value: run(expr, ctx, state) };
  } catch (e) {
    if (e instanceof EvalFailure) return { error: e.diagnostic };
    throw e;
  }
}

function fail(e: Expr, message: string): never {
  throw new EvalFailure({ severity: 'error', code: 'expression', message, range: e.range });
}

function run(e: Expr, ctx: ResolveContext, state: Evaluation): Value {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'ref':
      return lookup(e, ctx, state);
    case 'unary': {
      const v = run(e.arg, ctx, state);
      if (e.op === '!') return typeof v === 'boolean' ? !v : fail(e, '`!` needs a boolean');
      return typeof v === 'number' ? -v : fail(e, '`-` needs a number');
    }
    case 'binary': {
      // `&&` and `||` short-circuit, so `false && nodes…` does not need the node.
      const l = run(e.left, ctx, state);
      if (e.op === '&&' && l === false) return false;
      if (e.op === '||' && l === true) return true;
      const r = run(e.right, ctx, state);
      const problem = binaryProblem(e.op, typeOfValue(l), typeOfValue(r));
      if (problem !== undefined) fail(e, problem);
      return binary(e, l, r);
    }
    case 'call': {
      const spec = FUNCTIONS.get(e.fn);
      if (spec === undefined) return fail(e, `unknown function \`${e.fn}\``);
      const result = spec.apply(e.args.map((a) => run(a, ctx, state)));
      if (typeof result === 'object') return fail(e, result.error);
      return finite(e, result);
    }
  }
}

function binary(e: Extract<Expr, { kind: 'binary' }>, l: Value, r: Value): Value {
  switch (e.op) {
    case '+':
      return typeof l === 'number' ? finite(e, l + (r as number)) : (l as string) + (r as string);
    case '-':
      return finite(e, (l as number) - (r as number));
    case '*':
      return finite(e, (l as number) * (r as number));
    case '/':
      if (r === 0) fail(e, 'division by zero');
      return finite(e, (l as number) / (r as number));
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '&&':
    case '||':
      return r;
  }
}

/** The caller's lookups may fail (an output that does not exist yet): that is a diagnostic at the reference. */
function ask<T>(e: Expr, lookup: () => T): T {
  try {
    return lookup();
  } catch (cause) {
    return fail(
      e,
      `cannot read \`${refText(e)}\`: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

function refText(e: Expr): string {
  return e.kind === 'ref' ? e.path.join('.') : e.kind;
}

function finite(e: Expr, v: Value): Value {
  if (typeof v === 'number' && !Number.isFinite(v)) fail(e, `the result is not a finite number (${v})`);
  return v;
}

function lookup(e: Extract<Expr, { kind: 'ref' }>, ctx: ResolveContext, state: Evaluation): Value {
  const [root, a, b, c] = e.path;
  if (root === 'params' && a !== undefined && e.path.length === 2) {
    const v = ctx.params.get(a);
    return v ?? fail(e, `unknown parameter \`${a}\``);
  }
  if (root === 'env' && a !== undefined && e.path.length === 2) {
    state.envRead.add(a);
    const v = ask(e, () => ctx.env(a));
    return v ?? fail(e, `environment variable \`${a}\` is not set`);
  }
  if (root === 'nodes' && a !== undefined && b === 'outputs' && c !== undefined && e.path.length === 4) {
    return ask(e, () => ctx.output(nodeId(a), c));
  }
  return fail(e, `unknown name \`${e.path.join('.')}\``);
}
