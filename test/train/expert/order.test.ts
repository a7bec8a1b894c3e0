import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchOrder, fillGaussian, mixSeed, streamRandom } from '../../../src/train/expert/index.js';

test('an epoch visits every item once per group, in full batches, and differs between epochs', () => {
  const order = new BatchOrder([5, 3], 2, 7);
  assert.equal(order.perEpoch, 3 + 2);
  const seen = [new Map<number, number>(), new Map<number, number>()];
  const epoch0: string[] = [];
  for (let i = 0; i < order.perEpoch; i++) {
    const b = order.at(i);
    assert.equal(b.items.length, 2);
    epoch0.push(`${b.group}:${b.items.join(',')}`);
    for (const it of b.items) seen[b.group]?.set(it, (seen[b.group]?.get(it) ?? 0) + 1);
  }
  // Every item appears; a group whose size is not a multiple of the batch tops its last batch up.
  assert.deepEqual([...(seen[0]?.keys() ?? [])].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual([...(seen[1]?.keys() ?? [])].sort(), [0, 1, 2]);
  const epoch1 = Array.from({ length: order.perEpoch }, (_v, i) => order.at(order.perEpoch + i)).map(
    (b) => `${b.group}:${b.items.join(',')}`,
  );
  assert.notDeepEqual(epoch1, epoch0);
});

test('the batch at a step does not depend on what was asked before (resume-safe) and follows the seed', () => {
  const a = new BatchOrder([10], 3, 1);
  const b = new BatchOrder([10], 3, 1);
  const walked = Array.from({ length: 20 }, (_v, i) => a.at(i));
  assert.deepEqual(b.at(17), walked[17]);
  assert.deepEqual(b.at(2), walked[2]);
  const other = new BatchOrder([10], 3, 2);
  assert.notDeepEqual(
    Array.from({ length: 4 }, (_v, i) => other.at(i)),
    walked.slice(0, 4),
  );
});

test('a group smaller than the batch still fills whole batches', () => {
  const order = new BatchOrder([2], 5, 0);
  const b = order.at(0);
  assert.equal(b.items.length, 5);
  assert.deepEqual([...new Set(b.items)].sort(), [0, 1]);
});

test('random streams are pure functions of (seed, counter, stream) and independent of each other', () => {
  const draw = (seed: number, counter: number, stream: number) => {
    const r = streamRandom(seed, counter, stream);
    return [r(), r(), r()];
  };
  assert.deepEqual(draw(3, 10, 1), draw(3, 10, 1));
  assert.notDeepEqual(draw(3, 10, 1), draw(3, 11, 1));
  assert.notDeepEqual(draw(3, 10, 1), draw(3, 10, 2));
  assert.notDeepEqual(draw(3, 10, 1), draw(4, 10, 1));
  assert.notEqual(mixSeed(1, 2 ** 32), mixSeed(1, 0), 'counters beyond 32 bits still mix in');
});

test('fillGaussian gives standard normal values', () => {
  const x = fillGaussian(new Float32Array(20001), streamRandom(0, 0, 3));
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assert.ok(x.every(Number.isFinite));
});
