// `sweep:` — a grid of parameter values, run as variants. Reading and checking the block (every swept
// name a declared parameter, every value of its type, each with file:line:col), `--sweep name=a,b`
// overrides, and the variants themselves: the cartesian product, less `exclude`, plus `include`, as a
// GitHub Actions matrix does.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import type { MapNode, YamlNode } from './node.js';
import { coerce } from './params.js';
import { didYouMean } from './suggest.js';
import type { ParamValue } from './types.js';

/** One assignment of swept parameters: a variant, or an `exclude`/`include` entry. */
export type Assignment = Readonly<Record<string, ParamValue>>;

export interface Sweep {
  /** Swept parameters and their values, in the order written (the file's, then `--sweep` flags). */
  readonly axes: readonly (readonly [name: string, values: readonly ParamValue[]])[];
  readonly exclude: readonly Assignment[];
  readonly include: readonly Assignment[];
}

const MATRIX_KEYS = new Set(['exclude', 'include']);

/**
 * Reads `sweep:` against the declared parameters (after `--param`). A parameter fixed with `--param` is
 * left out of the sweep: `--param strength=0.3` runs that one value.
 */
export function readSweep(
  node: YamlNode | undefined,
  params: ReadonlyMap<string, ParamValue>,
  fixed: ReadonlySet<string>,
  diagnostics: Diagnostic[],
): Sweep | undefined {
  if (node?.kind !== 'map') return undefined;
  const axes: [string, ParamValue[]][] = [];
  for (const e of node.entries) {
    if (MATRIX_KEYS.has(e.key)) continue;
    const declared = params.get(e.key);
    if (declared === undefined) {
      diagnostics.push(unknownParam(e.key, e.keyRange, params));
      continue;
    }
    if (e.value.kind !== 'seq') continue; // the schema said so
    const values: ParamValue[] = [];
    for (const item of e.value.items) {
      const v = typedValue(e.key, item, declared, diagnostics);
      if (v === undefined) continue;
      if (values.includes(v)) {
        diagnostics.push({
          severity: 'error',
          code: 'sweep-duplicate',
          message: `sweep: ${e.key} lists ${show(v)} twice`,
          range: item.range,
          suggestion: 'list each value once',
        });
        continue;
      }
      values.push(v);
    }
    if (!fixed.has(e.key) && values.length > 0) axes.push([e.key, values]);
  }
  const swept = new Set(axes.map(([n]) => n));
  const entries = (key: string, onlySwept: boolean): Assignment[] => {
    const list = entryOf(node, key);
    if (list?.kind !== 'seq') return [];
    const out: Assignment[] = [];
    for (const item of list.items) {
      if (item.kind !== 'map') continue;
      const a: Record<string, ParamValue> = {};
      let usable = true;
      for (const f of item.entries) {
        const declared = params.get(f.key);
        if (declared === undefined) {
          diagnostics.push(unknownParam(f.key, f.keyRange, params));
          usable = false;
          continue;
        }
        if (onlySwept && !swept.has(f.key) && !fixed.has(f.key)) {
          diagnostics.push({
            severity: 'error',
            code: 'sweep-exclude',
            message: `sweep: exclude names \`${f.key}\`, which is not swept`,
            range: f.keyRange,
            suggestion: `swept parameters: ${[...swept].join(', ') || 'none'}`,
          });
          usable = false;
          continue;
        }
        const v = typedValue(f.key, f.value, declared, diagnostics);
        if (v === undefined) usable = false;
        else Object.defineProperty(a, f.key, { value: v, enumerable: true });
      }
      // An entry about a parameter fixed by --param no longer applies to any variant.
      if (usable && Object.keys(a).every((k) => !fixed.has(k))) out.push(a);
    }
    return out;
  };
  return { axes, exclude: entries('exclude', true), include: entries('include', false) };
}

/**
 * `--sweep name=a,b,c` flags over the file's sweep: each replaces the file's list for its parameter (or
 * adds an axis). Values are typed like the parameter's default. Errors name the flag.
 */
export function applySweepFlags(
  sweep: Sweep | undefined,
  flags: readonly string[],
  params: ReadonlyMap<string, ParamValue>,
): { sweep: Sweep | undefined; errors: string[] } {
  if (flags.length === 0) return { sweep, errors: [] };
  const axes = new Map<string, readonly ParamValue[]>(sweep?.axes ?? []);
  const errors: string[] = [];
  const given = new Set<string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      errors.push(`--sweep expects name=value,value,…, got \`${flag}\``);
      continue;
    }
    const name = flag.slice(0, eq);
    const declared = params.get(name);
    if (declared === undefined) {
      const known = [...params.keys()];
      const guess = didYouMean(name, known);
      errors.push(
        `--sweep ${name}: the pipeline has no parameter \`${name}\`${guess === undefined ? '' : ` (${guess})`}`,
      );
      continue;
    }
    if (given.has(name)) {
      errors.push(`--sweep ${name} is given twice: list every value in one flag (${name}=a,b,c)`);
      continue;
    }
    given.add(name);
    const values: ParamValue[] = [];
    for (const text of flag.slice(eq + 1).split(',')) {
      const v = coerce(text.trim(), declared);
      if (!v.ok) errors.push(`--sweep ${name}=${flag.slice(eq + 1)}: ${v.error}`);
      else if (values.includes(v.value)) errors.push(`--sweep ${name}: ${show(v.value)} is listed twice`);
      else values.push(v.value);
    }
    axes.set(name, values);
  }
  return {
    sweep: { axes: [...axes], exclude: sweep?.exclude ?? [], include: sweep?.include ?? [] },
    errors,
  };
}

/**
 * The variants: every combination of the axes (the first axis varies slowest), less those matching an
 * `exclude` entry in every value it names, then each `include` entry either added to every variant it
 * agrees with on the swept values it names, or, when it agrees with none, a variant of its own.
 */
export function variantsOf(sweep: Sweep): Assignment[] {
  let grid: Record<string, ParamValue>[] = [{}];
  for (const [name, values] of sweep.axes) {
    grid = grid.flatMap((g) => values.map((v) => ({ ...g, [name]: v })));
  }
  if (sweep.axes.length === 0) grid = [];
  const matches = (v: Assignment, a: Assignment, keys: readonly string[]): boolean =>
    keys.every((k) => v[k] === a[k]);
  const variants = grid.filter((g) => !sweep.exclude.some((x) => matches(g, x, Object.keys(x))));
  const swept = new Set(sweep.axes.map(([n]) => n));
  for (const inc of sweep.include) {
    const own = Object.keys(inc).filter((k) => swept.has(k));
    const hits = variants.filter((v) => matches(v, inc, own));
    if (hits.length > 0 && own.length > 0) for (const v of hits) Object.assign(v, inc);
    else variants.push({ ...inc });
  }
  // Two equal assignments would be one variant twice.
  const seen = new Set<string>();
  return variants.filter((v) => {
    const key = variantLabel(v, Object.keys(v).sort());
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `strength=0.25,lr=0.001`: the names given, in that order, with their values. */
export function variantLabel(v: Assignment, names: readonly string[]): string {
  return names.map((n) => `${n}=${String(v[n])}`).join(',');
}

function typedValue(
  name: string,
  item: YamlNode,
  declared: ParamValue,
  diagnostics: Diagnostic[],
): ParamValue | undefined {
  const v = item.kind === 'scalar' ? item.value : undefined;
  if (typeof v === typeof declared && v !== null && v !== undefined) return v as ParamValue;
  diagnostics.push({
    severity: 'error',
    code: 'sweep-type',
    message: `sweep: ${name} must be a ${typeof declared} like its default (${show(declared)}), got ${item.kind === 'scalar' ? show(item.value) : `a ${item.kind === 'seq' ? 'list' : 'map'}`}`,
    range: item.range,
  });
  return undefined;
}

function unknownParam(name: string, range: SourceRange, params: ReadonlyMap<string, ParamValue>): Diagnostic {
  const known = [...params.keys()];
  return {
    severity: 'error',
    code: 'unknown-param',
    message: `sweep: \`${name}\` is not a parameter of this pipeline`,
    range,
    suggestion:
      didYouMean(name, known) ??
      (known.length > 0
        ? `declare it under params:, or sweep one of ${known.join(', ')}`
        : 'declare it under params:'),
  };
}

function entryOf(map: MapNode, key: string): YamlNode | undefined {
  return map.entries.find((e) => e.key === key)?.value;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
