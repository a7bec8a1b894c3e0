// Step schemas as an editor must see them: moe accepts a `${{ … }}` string wherever a node's `with`
// holds a value (the loader type-checks the expression instead), so each value position also accepts
// such a string. Literals keep their schema, and so the editor's precise messages, enum completion,
// defaults and descriptions.
import type { JsonValue } from '../types.js';

type Schema = Record<string, JsonValue>;

/** Where the generated schema keeps the expression form, referenced from every value position. */
export const EXPRESSION_DEF = 'expression';

/**
 * A string holding `${{` (what the loader treats as an expression). Any other type fails with a problem
 * that the YAML language server does not merge into a type message ("Expected integer | string"): the
 * field's own schema, listed first, then keeps the message. The title heads the hover of an expression;
 * no description, so the hover shows the field's.
 */
export const EXPRESSION_SCHEMA: Schema = {
  title: 'a ${{ }} expression: moe checks its type when it loads the pipeline',
  pattern: '\\$\\{\\{',
  not: { type: ['number', 'boolean', 'object', 'array', 'null'] },
};

/** Keywords that never reject a string: annotations, and the ones that apply to other types only. */
const STRING_NEUTRAL = new Set([
  'title',
  'description',
  'markdownDescription',
  'default',
  'examples',
  'deprecated',
  'deprecationMessage',
  '$comment',
  'readOnly',
  'writeOnly',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'contains',
  'minContains',
  'maxContains',
  'minItems',
  'maxItems',
  'uniqueItems',
  'unevaluatedItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  '$defs',
  'definitions',
]);

/** Subschemas that describe the values inside this one (each a value position of its own). */
const VALUE_MAPS = ['properties', 'patternProperties'];
const VALUE_SCHEMAS = [
  'additionalProperties',
  'items',
  'additionalItems',
  'unevaluatedProperties',
  'unevaluatedItems',
];
/** Subschemas that apply to this same value (not value positions, but their insides may hold some). */
const SAME_VALUE_SCHEMAS = ['then', 'else'];
const SAME_VALUE_LISTS = ['allOf', 'anyOf', 'oneOf'];
// Left alone on purpose: `if`, `not` and `contains` are conditions, which must keep judging the literal
// text exactly as the loader does; `propertyNames` judges keys, which are never expressions.

const isSchema = (v: JsonValue | undefined): v is Schema =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `schema` (a step's `with` schema) with every value position inside it also accepting an expression:
 * `expression` is the schema of that form (a `$ref` to EXPRESSION_SCHEMA, or the schema itself). The
 * root is not a value position: `with` must be a map.
 */
export function acceptExpressions(schema: Schema, expression: Schema): Schema {
  return inside(schema, expression);
}

function inside(schema: Schema, expression: Schema): Schema {
  const out: Schema = { ...schema };
  for (const key of VALUE_MAPS) {
    const map = schema[key];
    if (!isSchema(map)) continue;
    out[key] = Object.fromEntries(
      Object.entries(map).map(([k, v]) => [k, isSchema(v) ? valuePosition(v, expression) : v]),
    );
  }
  for (const key of VALUE_SCHEMAS) {
    const v = schema[key];
    if (isSchema(v)) out[key] = valuePosition(v, expression);
  }
  const prefix = schema['prefixItems'];
  if (Array.isArray(prefix))
    out['prefixItems'] = prefix.map((v) => (isSchema(v) ? valuePosition(v, expression) : v));
  for (const key of SAME_VALUE_SCHEMAS) {
    const v = schema[key];
    if (isSchema(v)) out[key] = inside(v, expression);
  }
  for (const key of SAME_VALUE_LISTS) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((v) => (isSchema(v) ? inside(v, expression) : v));
  }
  const deps = schema['dependentSchemas'];
  if (isSchema(deps)) {
    out['dependentSchemas'] = Object.fromEntries(
      Object.entries(deps).map(([k, v]) => [k, isSchema(v) ? inside(v, expression) : v]),
    );
  }
  for (const key of ['$defs', 'definitions']) {
    const defs = schema[key];
    if (!isSchema(defs)) continue;
    // A definition is used through `$ref` from a value position, which accepts the expression itself.
    out[key] = Object.fromEntries(
      Object.entries(defs).map(([k, v]) => [k, isSchema(v) ? inside(v, expression) : v]),
    );
  }
  return out;
}

/**
 * A value position: the keywords that could reject an expression string move into the first branch of
 * `anyOf`, the expression form is the second; everything else (descriptions, defaults, the keys of a
 * map, the items of a list, number bounds) stays on top, where completion and hover read it.
 */
function valuePosition(schema: Schema, expression: Schema): Schema {
  const s = inside(schema, expression);
  if (acceptsEveryExpression(s)) return s;
  const top: Schema = {};
  const literal: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (STRING_NEUTRAL.has(k)) top[k] = v;
    else literal[k] = v;
  }
  // The branch repeats the description (or has an empty one): the language server's hover takes an `anyOf`
  // as "all branches matched" when other schemas on the value look like its branches (have the same
  // title and description), and then heads the hover "moe pipeline || moe pipeline".
  const description = typeof top['description'] === 'string' ? top['description'] : '';
  // A map's key completion inserts `key:` and a new line when the schema on top shows it is a map; with its
  // `type` moved below, an empty `properties` (which constrains nothing) shows it.
  const map = literal['type'] === 'object' && top['properties'] === undefined ? { properties: {} } : {};
  return { ...top, ...map, anyOf: [{ description, ...literal }, expression] };
}

/** A schema whose every constraint a string like `${{ params.x }}` already meets. */
function acceptsEveryExpression(s: Schema): boolean {
  for (const [k, v] of Object.entries(s)) {
    if (STRING_NEUTRAL.has(k)) continue;
    if (k === 'type') {
      if (v === 'string' || (Array.isArray(v) && v.includes('string'))) continue;
      return false;
    }
    // `minLength: 1` is common for paths; an expression is never that short.
    if (k === 'minLength' && typeof v === 'number' && v <= 5) continue;
    return false;
  }
  return true;
}
