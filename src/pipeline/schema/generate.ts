// The editor schema: the pipeline structure plus every given step's `with` schema, selected by `step`
// with if/then, so the YAML language server completes and checks parameters as people type. Step names
// are an enum of the given steps (a misspelling is flagged, completion lists them), and every value in
// a `with` also accepts a `${{ … }}` expression (expressions.ts), which only moe can type-check.
// schemas/pipeline.schema.json is this for the built-in steps; `moe schema FILE` adds a pipeline's plugins.
import type { JsonValue } from '../types.js';
import type { JsonSchema, StepDefinition } from '../../contract/step.js';
import { EXPRESSION_DEF, EXPRESSION_SCHEMA, acceptExpressions } from './expressions.js';
import { PIPELINE_SCHEMA } from './structure.js';
import { compileSchema } from './validate.js';

/** Where the schema of the built-in steps lives, relative to the package root. */
export const SCHEMA_PATH = 'schemas/pipeline.schema.json';

/**
 * The schemas committed with moe (`npm run schema` writes them): the built-in steps', and one for each
 * shipped pipeline that uses plugins, as `moe schema <pipeline>` writes it.
 */
export const SHIPPED_SCHEMAS: readonly { readonly path: string; readonly pipeline?: string }[] = [
  { path: SCHEMA_PATH },
  { path: 'schemas/tiny.schema.json', pipeline: 'pipelines/tiny.yaml' },
];

type Mutable = Record<string, JsonValue>;
export type EditorStep = Pick<StepDefinition<never>, 'name' | 'description' | 'withSchema'>;

export function buildPipelineSchema(steps: readonly EditorStep[]): JsonSchema {
  const sorted = [...steps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const schema = structuredClone(PIPELINE_SCHEMA) as unknown as Mutable;
  const defs = schema['$defs'] as Mutable;
  const node = defs['node'] as Mutable;
  const props = node['properties'] as Mutable;
  const names = sorted.map((s) => s.name);
  props['step'] = {
    ...(props['step'] as Mutable),
    description:
      "The step type. A plugin's step types are known to the schema that `moe schema <pipeline> --out <file>` writes for a pipeline; point the first line's `$schema=` at that file.",
    enum: names,
    enumDescriptions: sorted.map((s) => s.description),
  };
  defs[EXPRESSION_DEF] = EXPRESSION_SCHEMA;
  const branches: JsonValue[] = [];
  const perStepDefaults: Mutable = {};
  const presence: JsonValue[] = [];
  for (const step of sorted) {
    const key = `with:${step.name}`;
    const ref = { $ref: `#/$defs/${pointerToken(key)}` };
    const embedded = embed(step.withSchema as Mutable, key, step.name);
    // The title heads hovers inside the block, and labels the completion item that inserts every
    // required parameter at once.
    defs[key] = { title: `${step.name} parameters`, description: step.description, ...embedded.values };
    branches.push({
      if: { properties: { step: { const: step.name } }, required: ['step'] },
      then: { properties: { with: ref } },
    });
    perStepDefaults[step.name] = { allOf: [{ $ref: '#/$defs/defaults' }, { properties: { with: ref } }] };
    presence.push(...presenceRules(step, embedded));
  }
  if (branches.length > 0) node['allOf'] = branches;
  const top = schema['properties'] as Mutable;
  if (isMap(top['defaults']))
    top['defaults'] = { ...top['defaults'], propertyNames: { enum: names }, properties: perStepDefaults };
  if (presence.length > 0) schema['allOf'] = presence;
  return schema;
}

/**
 * Which keys a node's `with` must have. moe checks the node's block merged over `defaults:` for its step
 * type (an absent block as `{}`), so these rules sit at the top, where they can see both: a required key
 * is required of a node unless the step's defaults have it. Other conditions on which keys are present
 * (`if`/`then`, "one of `run` or `argv`") apply when the step has no defaults; with defaults, only moe can
 * judge the merged block.
 */
function presenceRules(step: EditorStep, embedded: Embedded): JsonValue[] {
  const rules: JsonValue[] = [];
  const hasDefaults = (extra: Mutable): Mutable => ({
    required: ['defaults'],
    properties: {
      defaults: { required: [step.name], properties: { [step.name]: { required: ['with'], ...extra } } },
    },
  });
  // `type: object` makes completing the key `with` in a node insert `with:` and a new line (without a
  // type the language server inserts the bare word). The title names the completion item that inserts
  // the keys a node requires.
  const nodesOf = (required: boolean, withSchema: Mutable): Mutable => ({
    properties: {
      nodes: {
        additionalProperties: {
          if: { required: ['step'], properties: { step: { const: step.name } } },
          then: {
            title: `${step.name} node`,
            ...(required ? { required: ['with'] } : {}),
            properties: { with: { type: 'object', ...withSchema } },
          },
        },
      },
    },
  });
  for (const key of embedded.required) {
    rules.push({
      if: hasDefaults({ properties: { with: { required: [key] } } }),
      else: nodesOf(true, { required: [key] }),
    });
  }
  if (embedded.conditions !== undefined) {
    rules.push({
      if: hasDefaults({}),
      else: nodesOf(!acceptsEmpty(step.withSchema), embedded.conditions),
    });
  }
  return rules;
}

/** The file's text: two-space JSON, the same from `npm run schema` and `moe schema`. */
export function renderSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Keywords at the root of a `with` schema that judge which keys are present (see `presenceRules`). */
const PRESENCE = [
  'required',
  'dependentRequired',
  'dependentSchemas',
  'if',
  'then',
  'else',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'minProperties',
  'maxProperties',
];

interface Embedded {
  /** The definition: the schema less its presence keywords. */
  readonly values: Mutable;
  readonly required: readonly string[];
  /** The other presence keywords, as one schema; undefined when there are none. */
  readonly conditions: Mutable | undefined;
}

/**
 * A step's schema as one definition of the document. Its `#…` references are rewritten to point inside
 * that definition, so it needs no `$id` of its own (an `$id` shows up in editors as a stray completion
 * item). A schema that uses other identifiers keeps an `$id` and its presence keywords, and gets the
 * expression form inline, as a reference from inside it would resolve against that `$id`.
 */
function embed(schema: Mutable, key: string, name: string): Embedded {
  const { $schema: _dialect, ...rest } = schema;
  if (usesIdentifiers(rest)) {
    return {
      values: { $id: `steps/${name}.json`, ...acceptExpressions(rest, EXPRESSION_SCHEMA) },
      required: [],
      conditions: undefined,
    };
  }
  const base = `#/$defs/${pointerToken(key)}`;
  const rewritten = rewriteRefs(rest, (ref) => base + ref.slice(1)) as Mutable;
  const all = acceptExpressions(rewritten, { $ref: `#/$defs/${EXPRESSION_DEF}` });
  const values: Mutable = {};
  const conditions: Mutable = {};
  for (const [k, v] of Object.entries(all)) {
    if (k === 'required') continue;
    if (PRESENCE.includes(k)) conditions[k] = v;
    else values[k] = v;
  }
  const required = Array.isArray(all['required']) ? all['required'].map(String) : [];
  return { values, required, conditions: Object.keys(conditions).length > 0 ? conditions : undefined };
}

const isMap = (v: JsonValue | undefined): v is Mutable =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function usesIdentifiers(v: JsonValue): boolean {
  if (Array.isArray(v)) return v.some(usesIdentifiers);
  if (typeof v !== 'object' || v === null) return false;
  for (const [k, x] of Object.entries(v)) {
    if (k === '$id' || k === '$anchor' || k === '$dynamicAnchor' || k === '$dynamicRef') return true;
    if (k === '$ref' && typeof x === 'string' && !x.startsWith('#')) return true;
    if (usesIdentifiers(x)) return true;
  }
  return false;
}

function rewriteRefs(v: JsonValue, to: (ref: string) => string): JsonValue {
  if (Array.isArray(v)) return v.map((x) => rewriteRefs(x, to));
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k,
      k === '$ref' && typeof x === 'string' ? to(x) : rewriteRefs(x, to),
    ]),
  );
}

/** A key as one token of a JSON pointer inside a URI fragment. */
function pointerToken(key: string): string {
  return encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1')).replace(/%3A/g, ':');
}

/** Whether moe accepts a node of this step without `with` (it validates the absent block as `{}`). */
function acceptsEmpty(schema: JsonSchema): boolean {
  const validate = compileSchema(schema);
  return 'error' in validate ? true : validate({}) === true;
}
