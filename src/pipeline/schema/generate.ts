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
  props['step'] = {
    ...(props['step'] as Mutable),
    description:
      "The step type. A plugin's step types are known to the schema that `moe schema <pipeline> --out <file>` writes for a pipeline; point the first line's `$schema=` at that file.",
    enum: sorted.map((s) => s.name),
    enumDescriptions: sorted.map((s) => s.description),
  };
  defs[EXPRESSION_DEF] = EXPRESSION_SCHEMA;
  const branches: JsonValue[] = [];
  for (const step of sorted) {
    const key = `with:${step.name}`;
    // The title heads hovers inside the block, and labels the completion item that inserts every
    // required parameter at once.
    defs[key] = {
      title: `${step.name} parameters`,
      description: step.description,
      ...embed(step.withSchema as Mutable, key, step.name),
    };
    branches.push({
      if: { properties: { step: { const: step.name } }, required: ['step'] },
      then: {
        // moe checks a missing `with` as `{}`: a step with required parameters needs the block.
        ...(acceptsEmpty(step.withSchema) ? {} : { required: ['with'] }),
        properties: { with: { $ref: `#/$defs/${pointerToken(key)}` } },
      },
    });
  }
  if (branches.length > 0) node['allOf'] = branches;
  return schema;
}

/** The file's text: two-space JSON, the same from `npm run schema` and `moe schema`. */
export function renderSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * A step's schema as one definition of the document. Its `#…` references are rewritten to point inside
 * that definition, so it needs no `$id` of its own (an `$id` shows up in editors as a stray completion
 * item). A schema that uses other identifiers keeps an `$id`, and gets the expression form inline, as a
 * reference from inside it would resolve against that `$id`.
 */
function embed(schema: Mutable, key: string, name: string): Mutable {
  const { $schema: _dialect, ...rest } = schema;
  if (usesIdentifiers(rest))
    return { $id: `steps/${name}.json`, ...acceptExpressions(rest, EXPRESSION_SCHEMA) };
  const base = `#/$defs/${pointerToken(key)}`;
  const rewritten = rewriteRefs(rest, (ref) => base + ref.slice(1)) as Mutable;
  return acceptExpressions(rewritten, { $ref: `#/$defs/${EXPRESSION_DEF}` });
}

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
