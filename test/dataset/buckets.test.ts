import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketList, defaultBucketStep, nearestBucket } from '../../src/steps/dataset/buckets.js';
import { planCrop } from '../../src/steps/dataset/crop.js';

test('SDXL buckets for 1024 at step 64 include the well-known sizes', () => {
  assert.equal(defaultBucketStep(1024), 64);
  assert.equal(defaultBucketStep(64), 8);
  const list = bucketList(1024, 64, 2.5).map((b) => `${b.width}x${b.height}`);
  for (const size of [
    '1024x1024',
    '1152x896',
    '896x1152',
    '1216x832',
    '1344x768',
    '768x1344',
    '1536x640',
    '640x1536',
  ]) {
    assert.ok(list.includes(size), `${size} missing from ${list.join(' ')}`);
  }
  for (const b of bucketList(1024, 64, 2.5)) {
    assert.ok(b.width * b.height <= 1024 * 1024);
    assert.equal(b.width % 64, 0);
    assert.ok(Math.max(b.width, b.height) / Math.min(b.width, b.height) <= 2.5);
  }
});

test('each image goes to the bucket with the nearest aspect ratio', () => {
  const list = bucketList(1024, 64, 2.5);
  assert.deepEqual(nearestBucket(1000, 1000, list), { height: 1024, width: 1024 });
  assert.deepEqual(nearestBucket(1080, 1920, list), { height: 768, width: 1344 });
  assert.deepEqual(nearestBucket(1920, 1080, list), { height: 1344, width: 768 });
  assert.deepEqual(nearestBucket(300, 4000, list), { height: 640, width: 1600 }); // beyond the widest (2.5:1)
});

test('center crop coordinates of a known image', () => {
  // 1080×1920 into 768×1344: scale 0.7 → 756×1344, too short: scale by height 768/1080 → 768×1365, left 10
  const plan = planCrop(1080, 1920, { height: 768, width: 1344 }, 'center', 0, 'x');
  assert.deepEqual(plan, { resized: [768, 1365], cropTopLeft: [0, 10] });
  const exact = planCrop(512, 512, { height: 256, width: 256 }, 'center', 0, 'x');
  assert.deepEqual(exact, { resized: [256, 256], cropTopLeft: [0, 0] });
});

test('random crop offsets depend on seed and id only and stay in range', () => {
  const bucket = { height: 64, width: 64 };
  const a = planCrop(100, 300, bucket, 'random', 1, 'id-a');
  assert.deepEqual(planCrop(100, 300, bucket, 'random', 1, 'id-a'), a);
  const lefts = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const p = planCrop(100, 300, bucket, 'random', i, 'id-a');
    assert.equal(p.cropTopLeft[0], 0);
    assert.ok(p.cropTopLeft[1] >= 0 && p.cropTopLeft[1] <= 192 - 64);
    lefts.add(p.cropTopLeft[1]);
  }
  assert.ok(lefts.size > 20, 'offsets spread over the range');
});
