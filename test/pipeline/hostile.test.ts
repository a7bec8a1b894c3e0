// Hostile input: alias bombs, deep nesting and huge files get a clear error quickly, with bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import { nodeId } from '../../src/util/brand.js';
import { loaded, problems, steps, summary, tempDir } from './fixtures.js';

/** Runs `f` and fails when it takes far longer than a hostile input should (a loose bound, not a benchmark). */
function quickly<T>(f: () => T, ms = 5000): T {
  const start = performance.now();
  const result = f();
  const took = performance.now() - start;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms`);
  return result;
}

test('an alias bomb stops at the expansion budget instead of exhausting memory', () => {
  let text = 'version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++)
    text += `a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  text += 'nodes:\n  a: { step: command, with: { env: { X: *a9 } } }\n';
  const before = process.memoryUsage().heapUsed;
  assert.deepEqual(
    quickly(() => problems(text)),
    [
      'p.yaml:8:10: error: the document expands to more than 2000000 values (aliases repeat what they point to)',
    ],
  );
  assert.ok(process.memoryUsage().heapUsed - before < 500e6, 'memory stays bounded');
});

test('aliases and merge keys within the budget work', () => {
  const text = `version: 1
nodes:
  a: &defaults
    step: command
    with: { run: "true" }
    resources: { cpu: 2, gpu: 1 }
  b:
    <<: *defaults
    resources: { cpu: 1 }
  c:
    <<: [*defaults]
    needs: [a]
`;
  const { pipeline } = loaded(text);
  const b = pipeline.nodes.get(nodeId('b'));
  assert.equal(b?.step, 'command');
  assert.deepEqual(
    b?.resources,
    { cpu: 1, gpu: 0, memoryBytes: undefined },
    'explicit keys win over merged ones',
  );
  assert.deepEqual(pipeline.nodes.get(nodeId('c'))?.resources, { cpu: 2, gpu: 1, memoryBytes: undefined });
  assert.deepEqual(pipeline.nodes.get(nodeId('c'))?.needs, ['a']);
});

test('a merge key given anything but maps says what it takes, at the value (not "unknown key `<<`")', () => {
  const text = `version: 1
x: &five 5
nodes:
  a:
    <<: 5
    step: command
  b:
    <<: *five
    step: command
  c:
    <<: [{ step: command }, x]
  d:
    step: command
    with:
      <<:
      run: echo
`;
  const takes = 'error: a merge key `<<` takes a map, an alias to one (`<<: *name`) or a list of them, got';
  assert.deepEqual(problems(text), [
    `p.yaml:5:9: ${takes} the number \`5\``,
    `p.yaml:8:9: ${takes} the number \`5\``,
    `p.yaml:11:29: ${takes} the string \`x\``,
    `p.yaml:15:10: ${takes} nothing`,
  ]);
  // A map written in place merges like an alias to one.
  assert.equal(
    loaded('version: 1\nnodes:\n  a:\n    <<: { step: command }\n').pipeline.nodes.get(nodeId('a'))?.step,
    'command',
  );
});

test('an alias to an undefined anchor is an error', () => {
  assert.deepEqual(problems('version: 1\nnodes: { a: *nope }\n'), [
    'p.yaml:2:13: error: alias `*nope` refers to an anchor that is not defined before it',
  ]);
});

test('deep flow nesting is refused before the parser recurses', () => {
  const text = 'version: 1\nnodes: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n';
  assert.deepEqual(
    quickly(() => problems(text), 2000),
    ['p.yaml:2:264: error: lists and maps are nested more than 64 levels deep'],
  );
});

test('deep block nesting hits the depth cap', () => {
  let text = 'version: 1\nnodes:\n';
  for (let i = 0; i < 300; i++) text += ' '.repeat(2 + i) + `k${i}:\n`;
  assert.deepEqual(
    quickly(() => problems(text)),
    ['p.yaml:66:66: error: lists and maps are nested more than 64 levels deep'],
  );
});

test('deeply nested expressions are refused', () => {
  const text = `version: 1\nnodes:\n  a:\n    step: command\n    with: { run: "\${{ ${'('.repeat(1000)}1${')'.repeat(1000)} }}" }\n`;
  assert.deepEqual(problems(text), ['p.yaml:5:88: error: the expression is nested more than 64 levels deep']);
});

test('a file over the size cap is refused before it is read', async () => {
  const dir = tempDir();
  const file = join(dir, 'huge.yaml');
  writeFileSync(file, 'version: 1\nnodes:\n' + '# padding line\n'.repeat(800_000));
  const r = await loadPipeline(file, { steps });
  assert.equal(r.ok, false);
  if (!r.ok)
    assert.deepEqual(r.error.diagnostics.map(summary), [
      'huge.yaml:1:1: error: the file is 11.4 MiB, over the 10.0 MiB limit for pipeline files',
    ]);
  const small = await loadPipeline(file, { steps, maxBytes: 1024 });
  assert.equal(small.ok, false);
  if (!small.ok)
    assert.match(
      small.error.diagnostics[0]?.message ?? '',
      /^the file is 11\.4 MiB, over the 1\.0 KiB limit/,
    );
});

test('missing files, directories and non-UTF-8 files are diagnostics', async () => {
  const dir = tempDir();
  const missing = await loadPipeline(join(dir, 'nope.yaml'), { steps });
  assert.ok(
    !missing.ok && missing.error.diagnostics[0]?.message === `${join(dir, 'nope.yaml')}: no such file`,
  );
  const isDir = await loadPipeline(dir, { steps });
  assert.ok(!isDir.ok && /is a directory/.test(isDir.error.diagnostics[0]?.message ?? ''));
  const latin1 = join(dir, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
  const bad = await loadPipeline(latin1, { steps });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.error.diagnostics.map(summary), [
    'latin1.yaml:1:7: error: the file is not valid UTF-8 text (byte 0xE9); save it as UTF-8',
  ]);
});

test('thousands of block levels are refused before the parser overflows its stack', () => {
  let text = 'version: 1\nparams:\n  p:\n';
  for (let i = 0; i < 2500; i++) text += ' '.repeat(3 + i) + 'k:\n';
  assert.deepEqual(
    quickly(() => problems(text)),
    ['p.yaml:514:514: error: lists and maps are nested more than 64 levels deep'],
  );
  const dashes = 'version: 1\nparams:\n  p:\n    ' + '- '.repeat(3000) + 'x\nnodes: {}\n';
  assert.deepEqual(
    quickly(() => problems(dashes)),
    ['p.yaml:4:1025: error: lists and maps are nested more than 64 levels deep'],
  );
});

test('a second YAML document is an error that says what to do, not the advice of the yaml package to call its API', () => {
  assert.deepEqual(problems('version: 1\nnodes: {}\n---\nversion: 1\n'), [
    'p.yaml:3:1: error: a second YAML document starts here; a pipeline file holds one: remove this `---` or split the file',
  ]);
});
