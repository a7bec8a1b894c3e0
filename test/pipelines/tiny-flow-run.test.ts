// pipelines/tiny-flow.yaml end to end through `node bin/moe.js run`, made small with --param overrides:
// both experts train with flow matching on their side of the boundary only, evaluate finds the composed
// pair better than either expert alone over the whole range, and compose hands over at t ≥ 875 (Wan).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createScheduler, flowBoundary, flowHandoff } from '../../src/diffusion/index.js';
import { ROOT, smallRunArgs, tempWorkspace } from './small-run.js';

const WS = tempWorkspace('moe-tiny-flow-');

const SMALL = {
  images: 96,
  train_steps: 150,
  batch_size: 8,
  checkpoint_every: 150,
  sample_steps: 8,
  eval_prompts: 2,
  eval_timesteps: 16,
};

/** Every file of that name under the workspace's store, parsed. */
function outputs(name: string): unknown[] {
  const store = join(WS, 'store');
  return readdirSync(store)
    .map((d) => join(store, d, name))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
}

test('tiny-flow.yaml: experts stay on their side of the boundary, the composed pair beats either alone', () => {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'moe.js'), ...smallRunArgs('tiny-flow.yaml', WS, SMALL)],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 900_000 },
  );
  assert.equal(run.status, 0, run.stdout + run.stderr);

  const trained = outputs('training.json') as { role: string; objective: string; timestep_range: number[] }[];
  const byRole = Object.fromEntries(trained.map((t) => [t.role, t]));
  assert.deepEqual(byRole['base']?.timestep_range, [875, 1000]);
  assert.deepEqual(byRole['refiner']?.timestep_range, [0, 875]);
  assert.ok(trained.every((t) => t.objective === 'flow_matching'));

  const results = outputs('results.json')[0] as {
    objective: string;
    boundary: number;
    loss: Record<'base' | 'refiner' | 'composed', { full: number; base_band: number; refiner_band: number }>;
  };
  assert.equal(results.objective, 'flow_matching');
  assert.equal(results.boundary, 0.875);
  const { base, refiner, composed } = results.loss;
  assert.ok(
    composed.full < base.full && composed.full < refiner.full,
    `composed ${composed.full} vs base ${base.full}, refiner ${refiner.full}`,
  );
  // Each expert is the better one on its own band: that is why the pair wins.
  assert.ok(base.base_band < refiner.base_band && refiner.refiner_band < base.refiner_band);

  const index = outputs('index.json').find((x) => (x as { objective?: string }).objective) as {
    scheduler: string;
    cutoff: number;
    base_steps: number;
    refiner_steps: number;
  };
  const made = createScheduler('flow_euler', { shift: 3 });
  const b = flowBoundary({ boundary: 0.875 });
  assert.ok(made.ok && b.ok);
  made.value.scheduler.setTimesteps(SMALL.sample_steps);
  const h = flowHandoff(made.value.scheduler.timesteps, b.value);
  assert.deepEqual(
    [index.scheduler, index.cutoff, index.base_steps, index.refiner_steps],
    ['flow_euler', 875, h.high.length, h.low.length],
  );
});
