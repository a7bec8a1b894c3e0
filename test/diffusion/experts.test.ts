import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discreteTimestepCutoff,
  expertRange,
  gaussianNoise,
  sampleExpertTimesteps,
  seededRandom,
} from '../../src/diffusion/index.js';

test('strength 0.35: base 350..999, refiner 0..349; the ranges tile 0..999 and meet at the inference cutoff of split 0.65', () => {
  assert.deepEqual(expertRange('base', 0.35), { ok: true, value: { min: 350, max: 999 } });
  assert.deepEqual(expertRange('refiner', 0.35), { ok: true, value: { min: 0, max: 349 } });
  assert.equal(discreteTimestepCutoff(1 - 0.35), 350);
  // SimpleTuner's default strength and a T not in any reference file.
  assert.deepEqual(expertRange('refiner', 0.2), { ok: true, value: { min: 0, max: 199 } });
  assert.deepEqual(expertRange('base', 0.3, 500), { ok: true, value: { min: 150, max: 499 } });
  for (const s of [0.05, 0.29, 0.57, 0.999]) {
    const base = expertRange('base', s);
    const refiner = expertRange('refiner', s);
    assert.ok(base.ok && refiner.ok);
    assert.equal(refiner.value.max + 1, base.value.min, `strength ${s}: no gap, no overlap`);
  }
});

test('invalid strengths are reported as values with the offending number', () => {
  for (const s of [0, 1, -0.1, 1.5, Number.NaN, 0.0001]) {
    const r = expertRange('base', s);
    assert.equal(r.ok, false, `strength ${s}`);
    if (!r.ok) assert.match(r.error, /strength/);
  }
});

test('stratified draws stay in the expert range at batch 1 and 8, one per segment from the top down', () => {
  const random = seededRandom(7);
  for (const role of ['base', 'refiner'] as const) {
    const range = expertRange(role, 0.35);
    assert.ok(range.ok);
    const { min, max } = range.value;
    for (let trial = 0; trial < 200; trial++) {
      const one = sampleExpertTimesteps(range.value, 1, random);
      assert.ok(one[0]! >= min && one[0]! <= max, `${role} batch 1 drew ${one[0]} outside ${min}..${max}`);
      const eight = sampleExpertTimesteps(range.value, 8, random);
      const size = Math.floor((max - min + 1) / 8);
      eight.forEach((t, i) => {
        const top = max - i * size;
        const bottom = i === 7 ? min : top - size + 1;
        assert.ok(
          t >= bottom && t <= top,
          `${role} element ${i} drew ${t} outside its segment ${bottom}..${top}`,
        );
      });
    }
  }
});

test('draws cover the whole segment, ends included (uniform source at its extremes)', () => {
  const range = { min: 0, max: 349 };
  assert.deepEqual(Array.from(sampleExpertTimesteps(range, 2, () => 0)), [175, 0]);
  assert.deepEqual(Array.from(sampleExpertTimesteps(range, 2, () => 0.9999999)), [349, 174]);
  // A batch larger than a tiny range repeats single-timestep segments from the top.
  assert.deepEqual(
    Array.from(sampleExpertTimesteps({ min: 10, max: 12 }, 5, () => 0.5)),
    [12, 11, 10, 12, 11],
  );
  // The same seed gives the same draws.
  const a = sampleExpertTimesteps(range, 8, seededRandom(1));
  const b = sampleExpertTimesteps(range, 8, seededRandom(1));
  assert.deepEqual(a, b);
});

test('gaussianNoise: reproducible standard normal draws (mean ≈ 0, variance ≈ 1 over 20 000 values)', () => {
  const a = gaussianNoise(20001, seededRandom(3));
  assert.deepEqual(a, gaussianNoise(20001, seededRandom(3)));
  assert.notDeepEqual(a.subarray(0, 8), gaussianNoise(8, seededRandom(4)));
  let mean = 0;
  for (const v of a) mean += v;
  mean /= a.length;
  let variance = 0;
  for (const v of a) variance += (v - mean) ** 2;
  variance /= a.length - 1;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assert.ok(a.every(Number.isFinite));
});
