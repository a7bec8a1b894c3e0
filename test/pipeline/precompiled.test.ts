// The precompiled validators (src/pipeline/schema/compiled.generated.ts): up to date with the schemas,
// used for the structure and built-in step schemas, and reporting exactly what a fresh ajv compile does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AJV_OPTIONS } from '../../src/pipeline/schema/ajv-options.js';
import { COMPILED_PATH, renderPrecompiled } from '../../src/pipeline/schema/precompile.js';
import { PIPELINE_SCHEMA } from '../../src/pipeline/schema/structure.js';
import { compileSchema } from '../../src/pipeline/schema/validate.js';
import type { JsonSchema } from '../../src/contract/step.js';
import { builtinSteps } from '../../src/steps/builtin.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => unknown;

test(`${COMPILED_PATH} is what \`npm run schema\` generates`, async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const committed = readFileSync(root + COMPILED_PATH, 'utf8');
  const expected = await renderPrecompiled(await builtinSteps(), root);
  assert.ok(committed === expected, `${COMPILED_PATH} is out of date: run \`npm run schema\` and commit it`);
});

test('the structure and built-in step schemas use precompiled validators with the same errors', async () => {
  const fresh = new Ajv2020(AJV_OPTIONS);
  addFormats(fresh);
  const command = (await builtinSteps(['command']))[0]!;
  const cases: [JsonSchema, unknown[]][] = [
    [
      PIPELINE_SCHEMA,
      [
        { version: 1, nodes: { a: { step: 'command' } } },
        { version: 2, nodes: { 'bad id': { stpe: 'x', retry: { limit: -1 }, resources: { gpu: 'one' } } } },
        { nodes: [], params: { 'a b': {} }, extra: true },
      ],
    ],
    [command.withSchema, [{ run: 'true' }, { run: 1, outputs: { a: 2 }, bogus: [] }, 'text']],
  ];
  for (const [schema, values] of cases) {
    const pre = compileSchema(schema);
    if ('error' in pre) assert.fail(pre.error);
    assert.ok(!Object.hasOwn(pre, 'schemaEnv'), 'a precompiled validator, not one ajv compiled just now');
    const now = fresh.compile(schema);
    for (const value of values) {
      assert.equal(pre(value), now(value), JSON.stringify(value));
      assert.deepEqual(pre.errors ?? null, now.errors ?? null, JSON.stringify(value));
    }
  }
});

test('a schema that is not precompiled (a plugin step) is compiled at run time', () => {
  const v = compileSchema({ type: 'object', required: ['x'], properties: { x: { type: 'integer' } } });
  if ('error' in v) assert.fail(v.error);
  assert.ok(Object.hasOwn(v, 'schemaEnv'));
  assert.equal(v({ x: 1 }), true);
  assert.equal(v({ x: 'a' }), false);
  assert.deepEqual(compileSchema({ type: 'nonsense' }), {
    error:
      'schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf',
  });
});
