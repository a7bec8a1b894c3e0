// A `with` value that is an expression over params only is known before anything runs: validation judges
// that value against the step's schema (range, whole number, list of values) at the expression's
// line and column, with --param overrides, instead of the node failing once its upstream nodes have run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe } from '../cli/helpers.js';
import { problems } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PIPELINE = `version: 1
params:
  steps: 10
  strength: 0.35
  kind: epsilon
nodes:
  a:
    step: command
    with: { run: "echo \${{ env.HOME }}", outputs: { x: x } }
  b:
    step: train.expert
    with:
      role: base
      steps: \${{ params.steps * 2 }}
      strength: \${{ params.strength }}
      prediction_type: \${{ params.kind }}
      data: \${{ nodes.a.outputs.x }}
`;

test('values given by params are checked against the step schema where the expression is written', () => {
  assert.deepEqual(problems(PIPELINE), []);
  assert.deepEqual(problems(PIPELINE, { params: { strength: '1.5', steps: '0.25', kind: 'x0' } }), [
    'p.yaml:14:14: error: `nodes.b.with.steps` must be >= 1, got `0.5` [help: the value comes from `params.steps`: give it a value that fits (in `params:`, with --param, or in the sweep)]',
    'p.yaml:14:14: error: `nodes.b.with.steps` must be a whole number, got the number `0.5` [help: the value comes from `params.steps`: give it a value that fits (in `params:`, with --param, or in the sweep)]',
    'p.yaml:15:17: error: `nodes.b.with.strength` must be <= 1, got `1.5` [help: the value comes from `params.strength`: give it a value that fits (in `params:`, with --param, or in the sweep)]',
    'p.yaml:16:24: error: `nodes.b.with.prediction_type` must be one of `epsilon`, `v_prediction`, `sample`, got `x0` [help: the value comes from `params.kind`: give it a value that fits (in `params:`, with --param, or in the sweep)]',
  ]);
});

test('moe validate ssd1b.yaml --param strength=1 (or batch_size=0) fails at the line that reads it', () => {
  const file = join(ROOT, 'pipelines', 'ssd1b.yaml');
  const ok = moe(['validate', file], ROOT);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = moe(['validate', file, '--param', 'strength=1', '--param', 'batch_size=0'], ROOT);
  assert.equal(bad.code, 2, bad.stdout);
  const lines = bad.stderr.split('\n').filter((l) => / error: /.test(l));
  assert.ok(
    lines.some((l) =>
      /ssd1b\.yaml:37:17: error: `nodes\.base\.with\.strength` must be < 1, got `1`$/.test(l),
    ),
    bad.stderr,
  );
  assert.ok(
    lines.some((l) =>
      /ssd1b\.yaml:42:19: error: `nodes\.base\.with\.batch_size` must be >= 1, got `0`$/.test(l),
    ),
    bad.stderr,
  );
  assert.ok(
    lines.some((l) => l.includes('ssd1b.yaml:91:14: error: `nodes.compose.with.split` must be > 0')),
    bad.stderr,
  );
});
