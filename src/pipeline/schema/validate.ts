// JSON Schema validation with ajv, reported as diagnostics at the YAML positions of the offending values.
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic, SourceRange } from '../diagnostic.js';
import { atPointer } from '../node.js';
import type { ScalarNode, YamlNode } from '../node.js';
import { closest, didYouMean } from '../suggest.js';
import type { JsonValue } from '../types.js';
import type { JsonSchema } from '../../contract/step.js';
import { AJV_OPTIONS, schemaKey } from './ajv-options.js';
import { PRECOMPILED } from './compiled.generated.js';
import { DURATION_PATTERN, LIMIT_PATTERN } from './structure.js';
import { formWord, orList, show, typeWord, valueWord } from './words.js';

const require = createRequire(import.meta.url);
let shared: Ajv2020 | undefined;

/**
 * One ajv instance for the process, loaded only when a schema is not precompiled (a plugin's): ajv and
 * its compiler are a noticeable part of start-up.
 */
function ajv(): Ajv2020 {
  if (shared === undefined) {
    const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof AjvModule;
    const addFormats = require('ajv-formats') as (ajv: Ajv2020) => unknown;
    shared = new Ajv(AJV_OPTIONS);
    addFormats(shared);
  }
  return shared;
}

const compiled = new WeakMap<object, ValidateFunction>();
const precompiled: Readonly<Record<string, (() => ValidateFunction) | undefined>> = PRECOMPILED;

/**
 * The validator of a schema: precompiled at build time when it is the structure schema or a built-in
 * step's, else compiled (once). A malformed schema is an error message, not an exception.
 */
export function compileSchema(schema: JsonSchema): ValidateFunction | { error: string } {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  try {
    const fn = precompiled[schemaKey(schema)]?.() ?? ajv().compile(schema);
    compiled.set(schema, fn);
    return fn;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * How the validator treats a string holding `${{ }}`: its static type is checked instead of its text.
 * `params` is there when the expression reads only literals and these params: the checked value is then
 * the expression's value (the caller put it in place of the text), judged like a literal.
 */
export type ExpressionInfo = (node: ScalarNode) =>
  | {
      readonly type: 'number' | 'string' | 'bool' | undefined;
      readonly params?: readonly string[];
    }
  | undefined;

export interface SchemaCheck {
  readonly root: YamlNode | undefined;
  readonly value: JsonValue;
  /** The dotted path of the root for messages (`nodes.train.with`), empty for the whole file. */
  readonly path: string;
  /** Where to point when the value is absent or the problem is about the root itself. */
  readonly fallback: SourceRange;
  readonly expressions?: ExpressionInfo;
}

export function schemaDiagnostics(validate: ValidateFunction, check: SchemaCheck): Diagnostic[] {
  if (validate(check.value)) return [];
  const errors = dropExplainedRequired(collapseAlternatives(validate.errors ?? []));
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = describe(e, check);
    if (d === undefined) continue;
    // Several keywords can fail on one value and read the same (an expression where none is allowed).
    const key = `${d.message}\0${d.range?.start.offset ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** "missing `step`" says nothing new next to "unknown key `stpe`, did you mean `step`?". */
function dropExplainedRequired(errors: readonly ErrorObject[]): ErrorObject[] {
  const misspelt = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const allowed = Object.keys(
      ((e.parentSchema as Record<string, unknown> | undefined)?.['properties'] as object | undefined) ?? {},
    );
    const meant = closest(String((e.params as Record<string, unknown>)['additionalProperty']), allowed);
    if (meant !== undefined) misspelt.add(`${e.instancePath}\0${meant}`);
  }
  return errors.filter(
    (e) =>
      e.keyword !== 'required' ||
      !misspelt.has(`${e.instancePath}\0${String((e.params as Record<string, unknown>)['missingProperty'])}`),
  );
}

/**
 * `anyOf`/`oneOf` failures list every branch's errors. When exactly one branch has the right type, its
 * errors are the helpful ones; otherwise a single "must be X or Y" replaces them all.
 */
function collapseAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  let kept = errors.filter((e) => !alternatives.includes(e));
  for (const alt of alternatives) {
    const inside = (e: ErrorObject): boolean =>
      e.schemaPath.startsWith(alt.schemaPath + '/') && e.instancePath.startsWith(alt.instancePath);
    const branchErrors = kept.filter(inside);
    kept = kept.filter((e) => !inside(e));
    const branches = (alt.schema as unknown[]).length;
    const typed: number[] = [];
    for (let b = 0; b < branches; b++) {
      const prefix = `${alt.schemaPath}/${b}/`;
      const typeFailed = branchErrors.some(
        (e) => e.schemaPath === `${prefix}type` && e.instancePath === alt.instancePath,
      );
      if (!typeFailed) typed.push(b);
    }
    if (typed.length === 1)
      kept.push(...branchErrors.filter((e) => e.schemaPath.startsWith(`${alt.schemaPath}/${typed[0]}/`)));
    else kept.push(alt);
  }
  return kept;
}

/** Where an ajv error points in the YAML, and how to word it. */
interface Where {
  readonly found: ReturnType<typeof atPointer> | undefined;
  readonly node: YamlNode | undefined;
  readonly path: string;
  /** `the pipeline`, or the value's path in backquotes. */
  readonly label: string;
  readonly here: SourceRange;
  at(range: SourceRange, message: string, suggestion?: string): Diagnostic;
}

function describe(e: ErrorObject, check: SchemaCheck): Diagnostic | undefined {
  const found = check.root === undefined ? undefined : atPointer(check.root, e.instancePath);
  const node = found?.node;
  const path = joinPath(check.path, e.instancePath);
  const w: Where = {
    found,
    node,
    path,
    label: path === '' ? 'the pipeline' : `\`${path}\``,
    here: node?.range ?? check.fallback,
    at: (range, message, suggestion) => ({
      severity: 'error',
      code: 'schema',
      message,
      range,
      ...(suggestion !== undefined ? { suggestion } : {}),
    }),
  };
  if (node?.kind === 'scalar' && typeof node.value === 'string' && node.value.includes('${{')) {
    // Only a node's `with` is evaluated; elsewhere the text would be taken as it is (and then ignored).
    if (check.expressions === undefined)
      return w.at(
        w.here,
        `${w.label} holds a \`\${{ }}\` expression, but expressions are evaluated only in a node's \`with\``,
        'write the value itself here',
      );
    const mismatch = expressionMismatch(e, node, w.label, check.expressions);
    const known = check.expressions(node)?.params;
    if (mismatch !== undefined || known === undefined) return mismatch;
    const d = literalProblem(e, w);
    const names = known.map((p) => `\`params.${p}\``);
    const fix =
      names.length > 0
        ? `the value comes from ${orList(names)}: give ${names.length > 1 ? 'them values' : 'it a value'} that fit${names.length > 1 ? '' : 's'} (in \`params:\`, with --param, or in the sweep)`
        : 'change the expression';
    return d && { ...d, suggestion: fix };
  }
  return literalProblem(e, w);
}

/** A problem with a value as written (or as an expression over params gives it). */
function literalProblem(e: ErrorObject, w: Where): Diagnostic | undefined {
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined && e.keyword !== 'propertyNames') return nameProblem(e, propertyName, w);
  switch (e.keyword) {
    // An `if`/`then` failure always comes with the error of the `then` branch itself, which says more.
    case 'if':
    case 'propertyNames':
      return undefined;
    case 'additionalProperties':
    case 'required':
    case 'pattern':
      return keyProblem(e, w);
    case 'anyOf':
    case 'oneOf':
      return choiceProblem(e, w);
    default:
      return valueProblem(e, w);
  }
}

/** An unknown or missing key, or a key or text that does not match its pattern. */
function keyProblem(e: ErrorObject, w: Where): Diagnostic {
  const { node, path, label, here, at } = w;
  const params = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  if (e.keyword === 'additionalProperties') {
    const key = String(params['additionalProperty']);
    const keyRange = node?.kind === 'map' ? node.entries.find((x) => x.key === key)?.keyRange : undefined;
    const allowed = Object.keys((parent?.['properties'] as object | undefined) ?? {});
    const where = path === '' ? '' : ` in ${label}`;
    const hint =
      didYouMean(key, allowed) ?? (allowed.length > 0 ? `allowed keys: ${allowed.join(', ')}` : undefined);
    return at(keyRange ?? here, `unknown key \`${key}\`${where}`, hint);
  }
  if (e.keyword === 'required') {
    const missing = String(params['missingProperty']);
    const range = w.found?.entry?.keyRange ?? (path === '' ? startOf(here) : here);
    return at(range, `${label} is missing \`${missing}\``);
  }
  const expected =
    typeof parent?.['description'] === 'string'
      ? parent['description']
      : `text matching \`${String(params['pattern'])}\``;
  return at(here, `${label} must be ${expected}, got ${show(e.data)}`);
}

/**
 * A key that its map's `propertyNames` refuses, at the key: its form (`pattern`), or a name that is
 * taken (`not`), each worded by the description of the rule it broke when there is one.
 */
function nameProblem(e: ErrorObject, name: string, w: Where): Diagnostic {
  const { node, label, here, at } = w;
  const keyRange =
    (node?.kind === 'map' ? node.entries.find((x) => x.key === name)?.keyRange : undefined) ?? here;
  const rule = (e.parentSchema as Record<string, unknown> | undefined)?.['description'];
  const why = typeof rule === 'string' ? rule : undefined;
  if (e.keyword === 'pattern')
    return at(
      keyRange,
      `${name === '' ? 'an empty key' : show(name)} is not a valid name in ${label}: ${why ?? 'use letters, digits, `_` and `-`, starting with a letter or `_`'}`,
    );
  return at(
    keyRange,
    `${show(name)} cannot be used as a name in ${label}${why === undefined ? '' : `: ${why}`}`,
  );
}

/** A value of the wrong type, outside its range or list of values, too short, or repeated. */
function valueProblem(e: ErrorObject, w: Where): Diagnostic {
  const { node, label, here, at } = w;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      // A time written as a bare number (`timeout: 30`): the form it takes says which unit is missing.
      const parent = e.parentSchema as Record<string, unknown> | undefined;
      const pattern = parent?.['pattern'];
      if (
        (pattern === DURATION_PATTERN || pattern === LIMIT_PATTERN) &&
        typeof parent?.['description'] === 'string'
      )
        return at(here, `${label} must be ${parent['description']}, got ${valueWord(e.data)}`);
      const want = String(params['type']).split(',').map(typeWord);
      return at(here, `${label} must be ${orList(want)}, got ${valueWord(e.data)}`);
    }
    case 'const': {
      const allowed = params['allowedValue'];
      // `version: "1"` must not read as "must be `1`, got `1`".
      const got = typeof allowed === typeof e.data ? show(e.data) : valueWord(e.data);
      return at(here, `${label} must be ${show(allowed)}, got ${got}`);
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => String(v));
      return at(
        here,
        `${label} must be one of ${allowed.map((v) => `\`${v}\``).join(', ')}, got ${show(e.data)}`,
        didYouMean(String(e.data), allowed),
      );
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(
        here,
        `${label} must be ${String(params['comparison'])} ${String(params['limit'])}, got ${show(e.data)}`,
      );
    case 'multipleOf': {
      const step = Number(params['multipleOf']);
      const below = Math.floor(Number(e.data) / step) * step;
      const near = [below, below + step].filter((v) => v > 0).map((v) => `\`${v}\``);
      return at(
        here,
        `${label} must be a multiple of ${step}, got ${show(e.data)}`,
        near.length > 0 ? `use ${orList(near)}` : undefined,
      );
    }
    case 'minItems':
    case 'maxItems': {
      const limit = Number(params['limit']);
      const got = Array.isArray(e.data) ? e.data.length : 0;
      const parent = e.parentSchema as Record<string, unknown> | undefined;
      const exact = parent?.['minItems'] === parent?.['maxItems'];
      const want = exact ? 'exactly' : e.keyword === 'minItems' ? 'at least' : 'at most';
      return at(
        here,
        `${label} must have ${want} ${limit} ${limit === 1 ? 'item' : 'items'}, got ${got}`,
        typeof parent?.['description'] === 'string' ? parent['description'] : undefined,
      );
    }
    case 'minProperties':
      return at(
        here,
        `${label} must have at least ${String(params['limit'])} ${Number(params['limit']) === 1 ? 'entry' : 'entries'}`,
      );
    case 'minLength':
      return at(
        here,
        Number(params['limit']) === 1
          ? `${label} must not be empty`
          : `${label} must be at least ${String(params['limit'])} characters long`,
      );
    case 'uniqueItems': {
      const dup =
        node?.kind === 'seq' ? node.items[Math.max(Number(params['i']), Number(params['j']))] : undefined;
      return at(dup?.range ?? here, `${label} lists ${show(dup?.kind === 'scalar' ? dup.value : '')} twice`);
    }
    default:
      return at(here, `${label} ${e.message ?? 'is not valid'}`);
  }
}

/** `anyOf`/`oneOf`: none of the forms matched, or more than one did. */
function choiceProblem(e: ErrorObject, w: Where): Diagnostic {
  const { label, here, at } = w;
  const params = e.params as Record<string, unknown>;
  const branches = e.schema as Record<string, unknown>[];
  const several = Array.isArray(params['passingSchemas']);
  // The common "exactly one of these keys" pattern: `oneOf: [{ required: [run] }, { required: [argv] }]`.
  const keys = branches.map((b) =>
    Object.keys(b).length === 1 && Array.isArray(b['required']) ? (b['required'] as unknown[]) : undefined,
  );
  if (keys.every((k) => k !== undefined && k.length === 1)) {
    const names = keys.map((k) => `\`${String(k?.[0])}\``);
    return at(
      here,
      several ? `${label} must have only one of ${names.join(', ')}` : `${label} needs ${orList(names)}`,
    );
  }
  const forms = branches.map(formWord);
  return at(
    here,
    several
      ? `${label} matches more than one of: ${forms.join('; ')}`
      : `${label} must be ${orList(forms)}, got ${show(e.data)}`,
  );
}

/** A `${{ }}` string where the schema wants another type: fine when the expression yields that type. */
function expressionMismatch(
  e: ErrorObject,
  node: ScalarNode,
  label: string,
  expressions: ExpressionInfo | undefined,
): Diagnostic | undefined {
  if (e.keyword !== 'type') return undefined;
  const info = expressions?.(node);
  if (info === undefined || info.type === undefined) return undefined;
  const wanted = String((e.params as Record<string, unknown>)['type']).split(',');
  const accepts = (t: string): boolean =>
    wanted.includes(t) ||
    (t === 'number' && wanted.includes('integer')) ||
    (t === 'bool' && wanted.includes('boolean'));
  if (accepts(info.type)) return undefined;
  const gives = info.type === 'bool' ? 'a boolean' : `a ${info.type}`;
  return {
    severity: 'error',
    code: 'schema',
    message: `${label} must be ${orList(wanted.map(typeWord))}, but the expression gives ${gives}`,
    range: node.range,
  };
}

function joinPath(base: string, pointer: string): string {
  const parts =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [base, ...parts].filter((p) => p !== '').join('.');
}

function startOf(r: SourceRange): SourceRange {
  return { file: r.file, start: r.start, end: r.start };
}
