// A node's `with` template kept as one short string while the pipeline is held, and built again when read.
// As objects, a template and its expressions took about 1 KB a node (each value, its range and its lists
// objects of their own); as text, about a quarter of that. Reading it back costs a JSON parse of that text
// (a few microseconds), and a run reads a node's template two or three times: once to fingerprint the
// node, once to run it.
//
// The text is a JSON array per value, its kind first and its range's two offsets into the file after:
//   literal       ["l", start, end, value]
//   interpolated  ["i", start, end, ...parts]      a part: a string, or an expression's array
//   list          ["L", start, end, ...items]
//   map           ["m", start, end, key, value, key, value, ...]
//   expressions   ["x", start, end, value] (literal), ["r", start, end, ...path], ["u", start, end, op, arg],
//                 ["b", start, end, op, left, right], ["c", start, end, fn, ...args]
// A template whose ranges are not all the file's own (none of the loader's are otherwise), or that holds
// a number JSON cannot write as it is (NaN, ±Infinity, -0 from YAML's `.nan`, `.inf`, `-0`), is not
// packed: the node keeps it as objects.
import type { SourceRange } from './diagnostic.js';
import type { SourceFile } from './source.js';
import type { Expr, JsonScalar, WithTemplate } from './types.js';

type Packed = (string | number | boolean | null | Packed)[];

/** Thrown inside `packTemplate` when the template cannot be packed. */
const UNPACKABLE = Symbol('unpackable');

/** The template as text, or undefined when it cannot be packed (see above). */
export function packTemplate(template: WithTemplate, source: SourceFile): string | undefined {
  try {
    return JSON.stringify(packValue(template, source));
  } catch (e) {
    if (e === UNPACKABLE) return undefined;
    throw e;
  }
}

/** The template `packTemplate` wrote, its ranges in `source`. */
export function unpackTemplate(text: string, source: SourceFile): WithTemplate {
  return unpackValue(JSON.parse(text) as Packed, source);
}

function offsets(range: SourceRange, source: SourceFile): [number, number] {
  const at = source.offsetsOf(range);
  if (at === undefined) throw UNPACKABLE;
  return [at[0], at[1]];
}

function scalar<T extends JsonScalar>(v: T): T {
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) throw UNPACKABLE;
  return v;
}

function packValue(t: WithTemplate, source: SourceFile): Packed {
  const [s, e] = offsets(t.range, source);
  switch (t.kind) {
    case 'literal':
      return ['l', s, e, scalar(t.value)];
    case 'interpolated':
      return ['i', s, e, ...t.parts.map((p) => (typeof p === 'string' ? p : packExpr(p, source)))];
    case 'list':
      return ['L', s, e, ...t.items.map((item) => packValue(item, source))];
    case 'map': {
      const out: Packed = ['m', s, e];
      for (const [key, value] of t.entries) out.push(key, packValue(value, source));
      return out;
    }
  }
}

function packExpr(x: Expr, source: SourceFile): Packed {
  const [s, e] = offsets(x.range, source);
  switch (x.kind) {
    case 'literal':
      return ['x', s, e, scalar(x.value)];
    case 'ref':
      return ['r', s, e, ...x.path];
    case 'unary':
      return ['u', s, e, x.op, packExpr(x.arg, source)];
    case 'binary':
      return ['b', s, e, x.op, packExpr(x.left, source), packExpr(x.right, source)];
    case 'call':
      return ['c', s, e, x.fn, ...x.args.map((a) => packExpr(a, source))];
  }
}

const num = (v: Packed[number] | undefined): number => v as number;
const list = (v: Packed[number] | undefined): Packed => v as Packed;

function unpackValue(p: Packed, source: SourceFile): WithTemplate {
  const range = source.range(num(p[1]), num(p[2]));
  switch (p[0]) {
    case 'l':
      return { kind: 'literal', value: p[3] as JsonScalar, range };
    case 'i': {
      const parts: (string | Expr)[] = [];
      for (let i = 3; i < p.length; i++) {
        const part = p[i];
        parts.push(typeof part === 'string' ? part : unpackExpr(list(part), source));
      }
      return { kind: 'interpolated', parts, range };
    }
    case 'L': {
      const items: WithTemplate[] = [];
      for (let i = 3; i < p.length; i++) items.push(unpackValue(list(p[i]), source));
      return { kind: 'list', items, range };
    }
    default: {
      const entries: (readonly [string, WithTemplate])[] = [];
      for (let i = 3; i < p.length; i += 2)
        entries.push([p[i] as string, unpackValue(list(p[i + 1]), source)]);
      return { kind: 'map', entries, range };
    }
  }
}

function unpackExpr(p: Packed, source: SourceFile): Expr {
  const range = source.range(num(p[1]), num(p[2]));
  switch (p[0]) {
    case 'x':
      return { kind: 'literal', value: p[3] as string | number | boolean, range };
    case 'r':
      return { kind: 'ref', path: p.slice(3) as string[], range };
    case 'u':
      return { kind: 'unary', op: p[3] as '!' | '-', arg: unpackExpr(list(p[4]), source), range };
    case 'b':
      return {
        kind: 'binary',
        op: p[3] as Extract<Expr, { kind: 'binary' }>['op'],
        left: unpackExpr(list(p[4]), source),
        right: unpackExpr(list(p[5]), source),
        range,
      };
    default: {
      const args: Expr[] = [];
      for (let i = 4; i < p.length; i++) args.push(unpackExpr(list(p[i]), source));
      return { kind: 'call', fn: p[3] as string, args, range };
    }
  }
}
