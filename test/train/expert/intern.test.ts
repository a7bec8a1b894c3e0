import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TensorInterner } from '../../../src/train/expert/intern.js';
import { openEmbeddingCache } from '../../../src/train/expert/index.js';
import { tempRoot, writeCache } from '../../steps/train/helpers.js';

test('an interner gives back the first array with the same bits, and keeps different ones apart', () => {
  const interner = new TensorInterner();
  const a = Float32Array.of(1, 2, 3);
  assert.equal(interner.intern(a), a);
  assert.equal(interner.intern(Float32Array.of(1, 2, 3)), a, 'same values: the first array');
  const b = Float32Array.of(1, 2, 4);
  assert.equal(interner.intern(b), b, 'one value differs');
  const shorter = Float32Array.of(1, 2);
  assert.equal(interner.intern(shorter), shorter, 'a prefix is another tensor');
  const zero = Float32Array.of(0, 0);
  const negativeZero = Float32Array.of(-0, 0);
  assert.equal(interner.intern(zero), zero);
  assert.equal(interner.intern(negativeZero), negativeZero, '−0 and 0 differ in their bits');
  // A view into a larger buffer is compared by its own values only.
  const backing = Float32Array.of(9, 1, 2, 3, 9);
  assert.equal(interner.intern(backing.subarray(1, 4)), a);
});

test('a preloaded cache holds one array per distinct embedding and still gives each item its own values', async (t) => {
  const root = await tempRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  // Eight items over four captions: items with the same caption have the same embeddings.
  await writeCache(join(root, 'cache'), { train: 8 });
  const opened = await openEmbeddingCache(join(root, 'cache'));
  assert.ok(opened.ok, opened.ok ? '' : opened.error);
  const cache = opened.value;
  t.after(() => cache.close());
  const perItem = 4 * (256 + 77 * 64 + 64);
  assert.equal(cache.heldBytes, 8 * 4 * 256 + 4 * (perItem - 4 * 256), 'latents ×8, embeddings ×4');
  const items = cache.groups[0]!.items;
  const read = async (k: number) => {
    const into = {
      latents: new Float32Array(256),
      promptEmbeds: new Float32Array(77 * 64),
      pooled: new Float32Array(64),
    };
    await cache.readInto(items[k]!, into);
    return into;
  };
  const first = await read(0);
  const sameCaption = await read(4);
  const otherCaption = await read(1);
  assert.deepEqual(sameCaption.promptEmbeds, first.promptEmbeds);
  assert.deepEqual(sameCaption.pooled, first.pooled);
  assert.notDeepEqual(otherCaption.promptEmbeds, first.promptEmbeds);
  assert.notDeepEqual(sameCaption.latents, first.latents, 'latents stay per item');
  // Writing into a batch's arrays does not reach the shared ones.
  first.promptEmbeds.fill(42);
  assert.deepEqual((await read(4)).promptEmbeds, sameCaption.promptEmbeds);
});
