// The editor schema (schemas/*.schema.json, `moe schema`): generated from the step definitions, valid
// JSON Schema 2020-12, committed in sync with the steps, and judging a pipeline the way `moe validate`
// does, except that it accepts every `${{ }}` in a `with` (only moe can type-check an expression).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { editorSchemaText as schemaOf } from '../../src/app/editor-schema.js';
import { SHIPPED_SCHEMAS, buildPipelineSchema } from '../../src/pipeline/schema/generate.js';
import { PIPELINE_SCHEMA } from '../../src/pipeline/schema/structure.js';
import { commandStep, trainStep } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
async function editorSchemaText(file: string | undefined): Promise<{ text: string }> {
  const r = await schemaOf(file);
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

const validator = (schema: object) => new Ajv2020({ strict: false, allErrors: true }).compile(schema);

test('the structure schema is strict-mode valid JSON Schema', () => {
  assert.doesNotThrow(() => new Ajv2020({ strict: true, allowUnionTypes: true }).compile(PIPELINE_SCHEMA));
});

test("the generated schema checks each node's `with` against its step's schema", () => {
  const validate = validator(buildPipelineSchema([trainStep, commandStep]));
  const good = parse(`version: 1
nodes:
  a: { step: command, with: { run: "echo" } }
  b: { step: train.expert, with: { role: base, steps: 10 } }
`);
  assert.equal(validate(good), true, JSON.stringify(validate.errors));
  const bad = parse(`version: 1
nodes:
  b: { step: train.expert, with: { role: middle, steps: 10 } }
`);
  assert.equal(validate(bad), false);
  assert.ok(validate.errors?.some((e) => e.instancePath === '/nodes/b/with/role'));
});

test('step names are an enum of the given steps, sorted, each with its description', () => {
  const schema = buildPipelineSchema([trainStep, commandStep]) as {
    $defs: { node: { properties: { step: { enum: string[]; enumDescriptions: string[] } } } };
  };
  assert.deepEqual(schema.$defs.node.properties.step.enum, ['command', 'train.expert']);
  assert.deepEqual(schema.$defs.node.properties.step.enumDescriptions, [
    'run a shell command',
    'train one expert',
  ]);
  const validate = validator(schema);
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: train.expret } }\n')), false);
  assert.ok(validate.errors?.some((e) => e.instancePath === '/nodes/a/step' && e.keyword === 'enum'));
});

test('every value in a `with` also accepts an expression; literals keep their schema', () => {
  const validate = validator(buildPipelineSchema([trainStep, commandStep]));
  const doc = (w: string): unknown => parse(`version: 1\nnodes: { b: { step: train.expert, with: ${w} } }\n`);
  for (const w of [
    '{ role: "${{ params.role }}", steps: "${{ params.n }}", zero_snr: "${{ params.z }}" }',
    '{ role: base, steps: "${{ 2 * params.n }}", strength: "${{ 1 - params.s }}" }',
  ])
    assert.equal(validate(doc(w)), true, `${w}: ${JSON.stringify(validate.errors)}`);
  for (const [w, path] of [
    ['{ role: base, steps: ten }', '/nodes/b/with/steps'],
    ['{ role: base, steps: 0 }', '/nodes/b/with/steps'],
    ['{ role: "params.role", steps: 1 }', '/nodes/b/with/role'],
    ['{ role: base, steps: 1, strength: "high" }', '/nodes/b/with/strength'],
  ] as const) {
    assert.equal(validate(doc(w)), false, w);
    assert.ok(
      validate.errors?.some((e) => e.instancePath === path),
      `${w}: ${JSON.stringify(validate.errors)}`,
    );
  }
  // Nested values and list items are value positions too.
  const cmd = validator(buildPipelineSchema([commandStep]));
  const nested = parse(
    'version: 1\nnodes: { a: { step: command, with: { argv: [echo, "${{ params.x }}"], env: { X: "${{ params.y }}" } } } }\n',
  );
  assert.equal(cmd(nested), true, JSON.stringify(cmd.errors));
});

test('a step with required parameters needs its `with`, as moe checks an absent one as `{}`', () => {
  const validate = validator(buildPipelineSchema([trainStep, commandStep]));
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: command } }\n')), true);
  assert.equal(validate(parse('version: 1\nnodes: { b: { step: train.expert } }\n')), false);
  assert.ok(validate.errors?.some((e) => e.keyword === 'required' && e.instancePath === '/nodes/b'));
});

test('step schemas with internal references resolve once embedded, without an `$id` of their own', () => {
  const step = {
    name: 'refs',
    description: 'uses $defs',
    withSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { n: { $ref: '#/$defs/count' } },
      $defs: { count: { type: 'integer' } },
    },
  };
  const schema = buildPipelineSchema([step]);
  assert.doesNotMatch(JSON.stringify(schema), /"\$id"/);
  const validate = validator(schema);
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: refs, with: { n: 3 } } }\n')), true);
  assert.equal(
    validate(parse('version: 1\nnodes: { a: { step: refs, with: { n: "${{ params.n }}" } } }\n')),
    true,
  );
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: refs, with: { n: x } } }\n')), false);
});

test('a step schema with identifiers of its own keeps an `$id` and still accepts expressions', () => {
  const step = {
    name: 'ids',
    description: 'uses $anchor',
    withSchema: {
      type: 'object',
      properties: { n: { $ref: '#count' } },
      $defs: { count: { $anchor: 'count', type: 'integer' } },
    },
  };
  const validate = validator(buildPipelineSchema([step]));
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: ids, with: { n: 3 } } }\n')), true);
  assert.equal(
    validate(parse('version: 1\nnodes: { a: { step: ids, with: { n: "${{ params.n }}" } } }\n')),
    true,
  );
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: ids, with: { n: x } } }\n')), false);
});

for (const { path, pipeline } of SHIPPED_SCHEMAS) {
  test(`${path} is what \`moe schema${pipeline === undefined ? '' : ` ${pipeline}`}\` writes`, async () => {
    const committed = readFileSync(ROOT + path, 'utf8');
    const { text } = await editorSchemaText(pipeline === undefined ? undefined : ROOT + pipeline);
    assert.ok(committed === text, `${path} is out of date: run \`npm run schema\` and commit it`);
  });
}

test('the schema for a pipeline with a plugin knows the plugin step; the built-in one does not', async () => {
  const builtin = JSON.parse((await editorSchemaText(undefined)).text) as {
    $defs: { node: { properties: { step: { enum: string[] } } } };
  };
  const tiny = JSON.parse((await editorSchemaText(ROOT + 'pipelines/tiny.yaml')).text) as typeof builtin;
  assert.ok(!builtin.$defs.node.properties.step.enum.includes('dataset.synthetic'));
  assert.ok(tiny.$defs.node.properties.step.enum.includes('dataset.synthetic'));
  assert.ok(tiny.$defs.node.properties.step.enum.includes('train.expert'));
});
