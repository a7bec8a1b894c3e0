import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkTimestepBias,
  sampleBiasedExpertTimesteps,
  seededRandom,
  timestepBiasWeights,
} from '../../src/diffusion/index.js';

test("weights are SimpleTuner's: 1 everywhere, the multiplier on the biased slice", () => {
  const later = timestepBiasWeights({ strategy: 'later', multiplier: 2, portion: 0.35 }, 1000);
  assert.equal(later.length, 1000);
  assert.equal(later[649], 1);
  assert.equal(later[650], 2);
  assert.equal(later[999], 2);
  const earlier = timestepBiasWeights({ strategy: 'earlier', multiplier: 0.5, portion: 0.25 }, 1000);
  assert.equal(earlier[249], 0.5);
  assert.equal(earlier[250], 1);
  // range is Python's slice begin:end, so end is not biased; an end past N stops at N.
  const range = timestepBiasWeights({ strategy: 'range', multiplier: 3, begin: 200, end: 500 }, 1000);
  assert.deepEqual([range[199], range[200], range[499], range[500]], [1, 3, 3, 1]);
  const wide = timestepBiasWeights({ strategy: 'range', multiplier: 3, begin: 900, end: 5000 }, 1000);
  assert.equal(wide[999], 3);
});

test('bad settings are reported with the key and the value', () => {
  const bad = [
    [{ strategy: 'later', multiplier: 0, portion: 0.3 }, /timestep_bias_multiplier.*0/],
    [{ strategy: 'later', multiplier: 2, portion: 1.5 }, /timestep_bias_portion.*1\.5/],
    [{ strategy: 'earlier', multiplier: 2, portion: 0.0001 }, /biases none/],
    [{ strategy: 'range', multiplier: 2, begin: 500, end: 400 }, /timestep_bias_begin\/end.*500 and 400/],
    [{ strategy: 'range', multiplier: 2, begin: 1200, end: 1300 }, /past the schedule's last timestep 999/],
  ] as const;
  for (const [bias, message] of bad) {
    const r = checkTimestepBias(bias, 1000);
    assert.equal(r.ok, false, JSON.stringify(bias));
    if (!r.ok) assert.match(r.error, message);
  }
  assert.equal(checkTimestepBias({ strategy: 'later', multiplier: 2, portion: 0.35 }, 1000).ok, true);
});

test('draws stay in the expert range, high noise first, and a biased part gets multiplier times the draws per timestep', () => {
  const range = { min: 350, max: 999 };
  const weights = timestepBiasWeights({ strategy: 'later', multiplier: 2, portion: 0.35 }, 1000);
  const random = seededRandom(11);
  let above = 0;
  let total = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const t = sampleBiasedExpertTimesteps(range, weights, 16, random);
    for (let i = 0; i < t.length; i++) {
      assert.ok(t[i]! >= 350 && t[i]! <= 999, `drew ${t[i]} outside 350..999`);
      if (i > 0) assert.ok(t[i]! <= t[i - 1]!, 'a batch runs from high noise to low');
      above += t[i]! >= 650 ? 1 : 0;
      total++;
    }
  }
  // 350 timesteps of weight 2 against 300 of weight 1: 700 / 1000 of the draws, per timestep twice as many.
  assert.ok(Math.abs(above / total - 0.7) < 0.01, `share drawn from 650..999: ${above / total}`);
});

test('flat weights draw like equal stratified segments; the source at its extremes reaches both ends', () => {
  const range = { min: 0, max: 349 };
  const flat = new Float64Array(1000).fill(1);
  assert.deepEqual(Array.from(sampleBiasedExpertTimesteps(range, flat, 2, () => 0)), [175, 0]);
  assert.deepEqual(Array.from(sampleBiasedExpertTimesteps(range, flat, 2, () => 0.9999999)), [349, 174]);
  // A bias outside the expert's range leaves its draws as they were.
  const elsewhere = timestepBiasWeights({ strategy: 'later', multiplier: 5, portion: 0.5 }, 1000);
  assert.deepEqual(
    Array.from(sampleBiasedExpertTimesteps(range, elsewhere, 4, seededRandom(3))),
    Array.from(sampleBiasedExpertTimesteps(range, flat, 4, seededRandom(3))),
  );
  assert.throws(
    () => sampleBiasedExpertTimesteps({ min: 0, max: 1000 }, flat, 4, seededRandom(3)),
    RangeError,
  );
});
