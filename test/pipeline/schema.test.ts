// The editor schema (schemas/pipeline.schema.json): generated from the step definitions, valid JSON
// Schema 2020-12, and committed in sync with the built-in steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { SCHEMA_PATH, buildPipelineSchema, renderSchema } from '../../src/pipeline/schema/generate.js';
import { PIPELINE_SCHEMA } from '../../src/pipeline/schema/structure.js';
import { builtinSteps } from '../../src/steps/builtin.js';
import { commandStep, trainStep } from './fixtures.js';

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
  c: { step: some.plugin.step, with: { anything: 1 } }
`);
  assert.equal(validate(good), true, JSON.stringify(validate.errors));
  const bad = parse(`version: 1
nodes:
  b: { step: train.expert, with: { role: middle, steps: 10 } }
`);
  assert.equal(validate(bad), false);
  assert.ok(validate.errors?.some((e) => e.instancePath === '/nodes/b/with/role'));
});

test('step names are offered to editors, sorted', () => {
  const schema = buildPipelineSchema([trainStep, commandStep]) as {
    $defs: { node: { properties: { step: { examples: string[] } } } };
  };
  assert.deepEqual(schema.$defs.node.properties.step.examples, ['command', 'train.expert']);
});

test('step schemas with internal references still resolve once embedded', () => {
  const step = {
    name: 'refs',
    description: 'uses $defs',
    withSchema: {
      type: 'object',
      properties: { n: { $ref: '#/$defs/count' } },
      $defs: { count: { type: 'integer' } },
    },
  };
  const validate = validator(buildPipelineSchema([step]));
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: refs, with: { n: 3 } } }\n')), true);
  assert.equal(validate(parse('version: 1\nnodes: { a: { step: refs, with: { n: x } } }\n')), false);
});

test(`${SCHEMA_PATH} is what \`npm run schema\` generates for the built-in steps`, async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const committed = readFileSync(root + SCHEMA_PATH, 'utf8');
  const expected = await renderSchema(buildPipelineSchema(await builtinSteps()), root);
  assert.ok(committed === expected, `${SCHEMA_PATH} is out of date: run \`npm run schema\` and commit it`);
});
