// Every variant of a sweep is validated as the defaults are: a swept value that a step's schema or the
// split-schedule rules refuse stops `moe run` before any node runs (exit 2, the variant named at the
// line and column that reads it), and `moe validate` reports the file's `sweep:` the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe, tempDir, writePipeline } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PIPELINE = `version: 1
name: swv
params:
  seed: 0
nodes:
  first:
    step: command
    with:
      run: 'touch "MARK"; echo x > "$MOE_OUT/x.txt"'
      outputs: { x: x.txt }
  model:
    step: models.tiny
    needs: [first]
    with:
      seed: \${{ params.seed }}
`;

test('moe run --sweep with a value the step refuses stops before anything runs', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE.replace('MARK', join(dir, 'ran')));
  const r = moe(['run', 'p.yaml', '--sweep', 'seed=0,-1'], dir);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /p\.yaml:15:13: error: variant seed=-1: `nodes\.model\.with\.seed` must be >= 0, got `-1`/,
  );
  assert.doesNotMatch(r.stderr, /variant seed=0/);
  assert.equal(existsSync(join(dir, 'ran')), false, 'no node ran');
  const plan = moe(['plan', 'p.yaml', '--sweep', 'seed=0,-1'], dir);
  assert.equal(plan.code, 2, plan.stdout + plan.stderr);
});

test("moe validate checks each variant of the file's sweep, the split rules included", () => {
  const file = join(ROOT, 'pipelines', 'ssd1b.yaml');
  const { dir, cleanup } = tempDir();
  try {
    const text = `${readFileSync(file, 'utf8')}sweep:\n  strength: [0.2, 0.3507, 0.35]\n`;
    writePipeline(dir, text, 'ssd1b.yaml');
    const r = moe(['validate', 'ssd1b.yaml'], dir);
    assert.equal(r.code, 2, r.stdout);
    const errors = r.stderr.split('\n').filter((l) => l.includes(' error: '));
    assert.deepEqual(errors, [
      "ssd1b.yaml:91:14: error: variant strength=0.3507: split 0.6493 hands off at timestep 351, not where the experts meet (350 = int(0.3507·1000)): strength 0.3507 falls between two of the 1000 timesteps, which training truncates (int) and the sampler's hand-off rounds",
    ]);
    writePipeline(dir, text.replace('0.3507, ', ''), 'ssd1b.yaml');
    const ok = moe(['validate', 'ssd1b.yaml'], dir);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    cleanup();
  }
});
