// `--param NAME=VALUE` treats every name alike: `error` (the key the old `Record | {error}` return
// mistook for a failure) is a parameter like any other, on the fast path and through oclif.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseParamFlags } from '../../src/pipeline/params.js';
import { moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = `version: 1
name: params
params:
  error: none
  value: plain
nodes:
  a:
    step: command
    with:
      run: echo "\${{ params.error }} \${{ params.value }}" > "$MOE_OUT/a.txt"
      outputs: { a: a.txt }
`;

test('parseParamFlags keeps a parameter named error, and fails as a value on a malformed flag', () => {
  assert.deepEqual(parseParamFlags(['error=x', 'value=y']), { ok: true, value: { error: 'x', value: 'y' } });
  assert.deepEqual(parseParamFlags(['error']), {
    ok: false,
    error: '--param expects name=value, got `error`',
  });
});

test('moe run --param error=x sets the parameter error to x', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writePipeline(dir, PIPELINE);
  const r = moe(['run', file, '--param', 'error=x', '--param', 'value=y'], dir);
  assert.equal(r.code, 0, r.stderr);
  const store = JSON.parse(
    moe(['run', file, '--param', 'error=x', '--param', 'value=y', '--json'], dir)
      .stdout.trim()
      .split('\n')
      .at(-1) ?? '{}',
  ) as { counts?: { cached: number } };
  assert.equal(store.counts?.cached, 1, 'the same parameters: cached');
  const plan = moe(['plan', file, '--param', 'error=other', '--json'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  const nodes = (JSON.parse(plan.stdout) as { nodes: { reasons: string[] }[] }).nodes;
  assert.deepEqual(nodes[0]?.reasons, ['params.error "x" → "other"', 'params.value "y" → "plain"']);
  const lines = r.stdout.split('\n').filter((l) => l.includes('a.txt'));
  assert.ok(lines.length > 0, r.stdout);
  const out = lines[0]?.trim().split(/\s+/).at(-1) ?? '';
  assert.equal(readFileSync(join(dir, out), 'utf8'), 'x y\n');
});

test('moe validate --param error=x is valid, and an undeclared error is reported by name', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writePipeline(dir, PIPELINE);
  const ok = moe(['validate', file, '--param', 'error=x'], dir);
  assert.equal(ok.code, 0, ok.stderr);
  const other = writePipeline(dir, PIPELINE.replace('  error: none\n', ''), 'q.yaml');
  const bad = moe(['plan', other, '--param', 'error=x'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--param error: the pipeline has no parameter `error`/);
  assert.doesNotMatch(bad.stderr, /^x$/m);
});
