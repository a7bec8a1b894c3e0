// The editor schema: the pipeline structure plus every given step's `with` schema, selected by `step`
// with if/then, so the YAML language server completes and checks parameters as people type.
import type { JsonValue } from '../types.js';
import type { JsonSchema, StepDefinition } from '../../contract/step.js';
import { PIPELINE_SCHEMA } from './structure.js';

/** Where the generated file lives, relative to the package root. */
export const SCHEMA_PATH = 'schemas/pipeline.schema.json';

type Mutable = Record<string, JsonValue>;

export function buildPipelineSchema(
  steps: readonly Pick<StepDefinition<never>, 'name' | 'description' | 'withSchema'>[],
): JsonSchema {
  const sorted = [...steps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const schema = structuredClone(PIPELINE_SCHEMA) as unknown as Mutable;
  const defs = schema['$defs'] as Mutable;
  const node = defs['node'] as Mutable;
  const props = node['properties'] as Mutable;
  props['step'] = {
    ...(props['step'] as Mutable),
    // `examples` rather than `enum`: editors offer the built-in names, and plugin steps stay valid.
    examples: sorted.map((s) => s.name),
  };
  const branches: JsonValue[] = [];
  for (const step of sorted) {
    const key = `with:${step.name}`;
    // Each step schema is its own resource (`$id`), so `#/…` references inside it keep their meaning.
    defs[key] = {
      $id: `steps/${step.name}.json`,
      description: step.description,
      ...(step.withSchema as Mutable),
    };
    branches.push({
      if: { properties: { step: { const: step.name } }, required: ['step'] },
      then: { properties: { with: { $ref: `#/$defs/${encodeURIComponent(key).replace(/%3A/g, ':')}` } } },
    });
  }
  if (branches.length > 0) node['allOf'] = branches;
  return schema;
}

/**
 * The file's text: stable key order from the generator, then formatted by the project's Prettier setup
 * (the lint step checks every JSON file with it). Prettier is a development tool, loaded only here.
 */
export async function renderSchema(schema: JsonSchema, root: string): Promise<string> {
  const prettier = await import('prettier');
  const file = root + SCHEMA_PATH;
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(schema, null, 2), { ...config, filepath: file });
}
