import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandLoss, composedLoss, evalTimesteps } from '../../src/workflow/eval-loss.js';
import { seededNormal } from '../../src/workflow/normal.js';

test('fixed evaluation timesteps spread over the whole schedule', () => {
  const ts = evalTimesteps(28, 1000);
  assert.equal(ts.length, 28);
  assert.equal(ts[0], 0);
  assert.equal(ts[27], 999);
  assert.equal(ts[1], 37);
  assert.deepEqual(evalTimesteps(4, 1000), [0, 333, 666, 999]);
});

test('bands average the timesteps each expert owns; the pair routes each timestep to its owner', () => {
  const ts = [0, 333, 666, 999];
  const base = { min: 350, max: 999 };
  const refiner = { min: 0, max: 349 };
  const baseLoss = [0.9, 0.8, 0.2, 0.1];
  const refinerLoss = [0.05, 0.1, 0.7, 0.9];
  assert.deepEqual(composedLoss(ts, baseLoss, refinerLoss, base), [0.05, 0.1, 0.2, 0.1]);
  const b = bandLoss(ts, baseLoss, base, refiner);
  assert.ok(Math.abs((b.base_band ?? 0) - 0.15) < 1e-12);
  assert.ok(Math.abs((b.refiner_band ?? 0) - 0.85) < 1e-12);
  assert.ok(Math.abs((b.full ?? 0) - 0.5) < 1e-12);
  assert.equal(
    bandLoss([500], [1], base, refiner).refiner_band,
    null,
    'a band without timesteps has no loss',
  );
});

test('seeded normal noise is reproducible and roughly standard', () => {
  const a = seededNormal(7, 20001);
  assert.deepEqual(a, seededNormal(7, 20001));
  assert.notDeepEqual(a.subarray(0, 8), seededNormal(8, 8));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
});
