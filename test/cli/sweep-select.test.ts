// --force, --from and --only name a node as the file writes it: in a sweep that is every variant of it
// (as Snakemake's --forcerun RULE reruns every job of the rule), not an error saying the file has no such node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = `version: 1
name: sel
params:
  x: 1
sweep:
  x: [1, 2]
nodes:
  a:
    step: command
    with:
      run: echo a > "$MOE_OUT/a.txt"
      outputs: { a: a.txt }
  score:
    step: command
    with:
      run: echo ${'${{ params.x }}'} $(cat ${'${{ nodes.a.outputs.a }}'}) > "$MOE_OUT/r.txt"
      outputs: { r: r.txt }
`;

test('--force/--from/--only NODE of a swept node selects each of its variants', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const run = moe(['run', 'p.yaml'], dir);
  assert.equal(run.code, 0, run.stdout + run.stderr);

  for (const flag of ['--force', '--from']) {
    const plan = moe(['plan', 'p.yaml', flag, 'score'], dir);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^will run\s+score\[x=1\]/m, plan.stdout);
    assert.match(plan.stdout, /^will run\s+score\[x=2\]/m, plan.stdout);
    assert.match(plan.stdout, /^cached\s+a\b/m, plan.stdout);
  }
  const only = moe(['plan', 'p.yaml', '--only', 'score'], dir);
  assert.equal(only.code, 0, only.stdout + only.stderr);
  assert.doesNotMatch(only.stdout, /^\S+\s+a\b/m, 'only the variants of score are considered');
  assert.match(only.stdout, /^cached\s+score\[x=2\]/m, only.stdout);

  // A name that is no node at all is still an error, at exit code 2.
  const bad = moe(['plan', 'p.yaml', '--force', 'scor'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--force scor: no node named "scor"/);
});
