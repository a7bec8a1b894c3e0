// `moe schema`: the editor schema on stdout (the committed one for the built-in steps), or written to a
// file for a pipeline with its plugins' step types; a missing pipeline is a message, not a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, moe, tempDir, writePipeline } from './helpers.js';

interface Schema {
  $defs: { node: { properties: { step: { enum: string[] } } } };
}

test('moe schema prints the schema of the built-in steps, the one committed for editors', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const r = moe(['schema'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(ROOT, 'schemas', 'pipeline.schema.json'), 'utf8'));
});

test("moe schema FILE --out writes a schema that knows the pipeline's plugin steps", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'hello.mjs'),
    "export const steps = [{ name: 'hello', version: '1', description: 'greets', withSchema: { type: 'object', required: ['who'], properties: { who: { enum: ['world', 'moe'] } } }, outputs: () => ({}), run: async () => undefined }];\n",
  );
  writePipeline(dir, 'version: 1\nnodes:\n  a: { step: hello, with: { who: world } }\n');
  const r = moe(['schema', 'p.yaml', '--out', 'editor/pipeline.schema.json'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /editor\/pipeline\.schema\.json: the schema of \d+ step types \(.*hello.*\)/);
  const schema = JSON.parse(readFileSync(join(dir, 'editor', 'pipeline.schema.json'), 'utf8')) as Schema;
  assert.ok(schema.$defs.node.properties.step.enum.includes('hello'));
  assert.ok(schema.$defs.node.properties.step.enum.includes('train.expert'));
  assert.ok('with:hello' in schema.$defs);
});

test('moe schema of a missing file says so and exits 2', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const r = moe(['schema', 'nope.yaml'], dir);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), 'nope.yaml: no such file');
  assert.equal(r.stdout, '');
});

test('moe schema FILE --out naming the pipeline or one of its plugins is refused, and the file is kept', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  const plugin =
    "export const steps = [{ name: 'hello', version: '1', withSchema: { type: 'object' }, outputs: () => ({}), run: async () => undefined }];\n";
  writeFileSync(join(dir, 'plugins', 'hello.mjs'), plugin);
  const pipeline = 'version: 1\nnodes:\n  a: { step: hello }\n';
  writePipeline(dir, pipeline);
  for (const [out, kept] of [
    ['p.yaml', pipeline],
    ['./plugins/hello.mjs', plugin],
  ] as const) {
    const r = moe(['schema', 'p.yaml', '--out', out], dir);
    assert.equal(r.code, 2, `${out}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /cannot write .*: it is \S+, which the schema is made from; write the schema to its own file/,
    );
    assert.equal(readFileSync(join(dir, out), 'utf8'), kept);
  }
});

test('moe schema refuses a plugin whose parameter schema does not compile, instead of writing it for the editor', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'bad.mjs'),
    "export const steps = [{ name: 'bad', version: '1', withSchema: { type: 'objectt' }, outputs: () => ({}), run: async () => undefined }];\n",
  );
  writePipeline(dir, 'version: 1\nnodes:\n  a: { step: command, with: { run: "true" } }\n');
  const r = moe(['schema', 'p.yaml', '--out', 's.json'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /step type `bad` \(.*plugins\/bad\.mjs\) has a parameter schema that does not compile: .*; fix its withSchema where it is defined/,
  );
  assert.equal(existsSync(join(dir, 's.json')), false);
});
