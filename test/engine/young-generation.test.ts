// The young generation of moe's main thread does not grow while a file loads, nor past its cap during a
// run (src/util/young-generation.ts): objects that survive scavenges, as a loading pipeline's do, would
// otherwise have V8 double it up to 32 MB. One process per test file: the flag these set is the process's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  YOUNG_CAP_BYTES,
  capYoungGeneration,
  withoutYoungGrowth,
  youngBytes,
  youngCapped,
} from '../../src/util/young-generation.js';

const MB = 1024 * 1024;

/** Allocates about `mb` MB of small objects that stay reachable (they survive every scavenge). */
function survivors(mb: number, into: object[]): void {
  for (let i = 0; i < mb * 16_384; i++) into.push({ a: i, b: null });
}

test('the young generation holds its size while a load runs, and grows again after it', () => {
  const kept: object[] = [];
  const before = youngBytes();
  assert.ok(before < YOUNG_CAP_BYTES, `a fresh process starts below the cap (${before / MB} MB)`);
  const value = withoutYoungGrowth(() => {
    survivors(24, kept);
    return 'loaded';
  });
  assert.equal(value, 'loaded');
  assert.ok(youngBytes() <= before, `held at ${before / MB} MB, now ${youngBytes() / MB} MB`);
  assert.equal(youngCapped(), false);
  // Survivors outside it: V8 doubles the young generation as usual (stopped at the first growth).
  for (let i = 0; i < 24 && youngBytes() <= before; i++) survivors(1, kept);
  assert.ok(youngBytes() > before, `grew from ${before / MB} MB to ${youngBytes() / MB} MB`);
  assert.ok(youngBytes() < YOUNG_CAP_BYTES);
  kept.length = 0;
});

test('once at the cap it grows no more, however much survives', () => {
  const kept: object[] = [];
  // Doubling passes through the cap (2, 4, 8, 16 MB for both semi-spaces), where the run's checks see it.
  for (let i = 0; i < 400 && youngBytes() < YOUNG_CAP_BYTES; i++) {
    capYoungGeneration();
    assert.equal(youngCapped(), false, 'not capped below the cap');
    survivors(1, kept);
  }
  assert.equal(youngBytes(), YOUNG_CAP_BYTES);
  capYoungGeneration();
  assert.equal(youngCapped(), true);
  survivors(64, kept);
  assert.equal(youngBytes(), YOUNG_CAP_BYTES, 'V8 would double it to 32 MB');
  // A load after the cap leaves it in place.
  withoutYoungGrowth(() => survivors(16, kept));
  survivors(32, kept);
  assert.equal(youngBytes(), YOUNG_CAP_BYTES);
});
