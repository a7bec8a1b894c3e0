// evaluate's metrics: each model's loss per band and over the full range, adherence per stage when a
// scorer ran, nothing for what was skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsOf } from '../../../src/steps/diffusion/evaluate/index.js';
import type { EvaluationResults } from '../../../src/steps/files/evaluation.js';

const band = (full: number | null, base: number | null, refiner: number | null) => ({
  full,
  base_band: base,
  refiner_band: refiner,
  per_timestep: [],
});

test('metrics name every model and band; adherence per stage; skipped scores give none', () => {
  const results = {
    items: 4,
    split: 'eval',
    seed: 0,
    prediction_type: 'v_prediction',
    zero_snr: true,
    strength: 0.35,
    bands: { base: { min: 350, max: 999 }, refiner: { min: 0, max: 349 } },
    timesteps: [],
    loss: { base: band(0.5, 0.4, 0.7), refiner: band(0.6, 0.9, 0.2), composed: band(0.3, 0.4, null) },
    adherence: {
      rule: 'strict',
      scorer: 's',
      checks: [],
      images: [],
      stages: { composed: { images: 8, adherent_images: 6, adherent: 0.75, mean: 0.8, checks: {} } },
    },
    clip_score: { skipped: 'no clip model' },
  } as unknown as EvaluationResults;
  assert.deepEqual(metricsOf(results), {
    'loss.base.full': 0.5,
    'loss.base.base_band': 0.4,
    'loss.base.refiner_band': 0.7,
    'loss.refiner.full': 0.6,
    'loss.refiner.base_band': 0.9,
    'loss.refiner.refiner_band': 0.2,
    'loss.composed.full': 0.3,
    'loss.composed.base_band': 0.4,
    'adherence.composed': 0.75,
    'adherence.composed.mean': 0.8,
  });
});
