import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { moe, tempDir, writePipeline } from './helpers.js';

test('moe steps lists the command step with its parameters, and plugin steps of a pipeline', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const list = moe(['steps', '--json'], dir);
  assert.equal(list.code, 0, list.stderr);
  const steps = JSON.parse(list.stdout) as { name: string; params: { name: string; type: string }[] }[];
  const command = steps.find((s) => s.name === 'command');
  assert.ok(command);
  assert.deepEqual(
    command.params.map((p) => `${p.name}: ${p.type}`),
    ['run: string', 'argv: string[]', 'inputs: string[]', 'outputs: object', 'env: object'],
  );
  // A choice of shapes is listed as its shapes: `any` said a string would do for a guidance scale.
  const compose = steps.find((s) => s.name === 'compose.inference');
  const typeOf = (name: string): string | undefined => compose?.params.find((p) => p.name === name)?.type;
  assert.equal(typeOf('guidance_scale'), 'number | object');
  assert.equal(typeOf('prompts'), '(string | object)[]');
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'hello.mjs'),
    "export const steps = [{ name: 'hello', version: '2', description: 'greets', withSchema: { type: 'object', properties: { who: { type: 'string' } } }, outputs: () => ({}), run: async () => undefined }];\n",
  );
  writePipeline(dir, 'version: 1\nname: x\nnodes: {}\n');
  const text = moe(['steps', 'p.yaml'], dir);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^hello v2 from .*hello\.mjs {2}greets$/m);
  assert.match(text.stdout, /^ {4}who\?: string$/m);
});

test('moe gc removes what no record references and reports it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const p = (word: string): string =>
    `version: 1\nname: g\nnodes:\n  a:\n    step: command\n    with:\n      run: echo ${word} > "$MOE_OUT/a.txt"\n      outputs: { a: a.txt }\n`;
  writePipeline(dir, p('one'));
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  writePipeline(dir, p('two'));
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  const dry = moe(['gc', 'p.yaml', '--dry-run'], dir);
  assert.match(dry.stdout, /^would remove 1 store entries, 1 records/);
  const gc = moe(['gc', 'p.yaml', '--json'], dir);
  assert.equal(gc.code, 0, gc.stderr);
  const report = JSON.parse(gc.stdout) as { removedStoreEntries: number; keptStoreEntries: number };
  assert.deepEqual([report.removedStoreEntries, report.keptStoreEntries], [1, 1]);
  // The memo caches of loaded pipelines and their evaluations are rebuilt on demand: gc empties them.
  for (const memo of ['pipelines', 'evaluations']) {
    const left = existsSync(join(dir, '.moe', 'cache', memo))
      ? readdirSync(join(dir, '.moe', 'cache', memo))
      : [];
    assert.deepEqual(left, [], `cache/${memo} after gc`);
  }
  assert.match(moe(['run', 'p.yaml'], dir).stdout, /0 ran, 1 cached/);
});

test('with --json a user mistake is a JSON error on stdout with the exit code, not a stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, 'version: 1\nname: x\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n');
  const r = moe(['run', 'p.yaml', '--only', 'b', '--json'], dir);
  assert.equal(r.code, 2);
  assert.deepEqual(JSON.parse(r.stdout), {
    error: {
      message: `--only b: no node named "b" in ${join(dir, 'p.yaml')} (did you mean a?)`,
      exitCode: 2,
    },
  });
  const status = moe(['status', '--json'], dir);
  assert.equal(status.code, 1);
  assert.match(JSON.parse(status.stdout).error.message, /^no runs recorded in \.moe/);
});

test('moe steps shows a plugin step that has no description without printing "undefined"', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'bare.mjs'),
    "export const steps = [{ name: 'bare', version: '1', withSchema: { type: 'object' }, outputs: () => ({}), run: async () => undefined }];\n",
  );
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\nnodes:\n  a:\n    step: bare\n    with: {}\n');
  const text = moe(['steps', 'p.yaml'], dir);
  assert.equal(text.code, 0, text.stderr);
  const line = text.stdout.split('\n').find((l) => l.startsWith('bare '));
  assert.ok(line !== undefined, text.stdout);
  assert.doesNotMatch(line, /undefined/);
  const json = JSON.parse(moe(['steps', 'p.yaml', '--json'], dir).stdout) as {
    name: string;
    description: string;
  }[];
  assert.equal(json.find((s) => s.name === 'bare')?.description, '');
});
