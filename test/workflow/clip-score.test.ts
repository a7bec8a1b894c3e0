import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionFactory } from '../../src/models/optimum/index.js';
import { clipPixels, openClipScorer, parsePreprocess } from '../../src/workflow/clip-score.js';
import { fakeClip } from './clip-helpers.js';

/** A solid-colour 40×30 image. */
const solid = (rgb: readonly [number, number, number]) => ({
  width: 40,
  height: 30,
  data: Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => rgb[i % 3] as number),
});

test('CLIP score: max(100·cos, 0) between the image and the prompt embeddings', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-clip-'));
  const dir = await fakeClip(root);
  const opened = await openClipScorer(dir, sessionFactory({ threads: 1 }));
  assert.ok(opened.ok, opened.ok ? '' : opened.error);
  const clip = opened.value;
  try {
    const red = await clip.score(solid([220, 40, 40]), 'red');
    const blue = await clip.score(solid([220, 40, 40]), 'blue');
    // Normalised red pixel ≈ (1.40, −1.15, −0.91); cos with (1, −1, −1) ≈ 0.99; with (−1, −1, 1) < 0.
    assert.ok(red > 95 && red <= 100, `red ${red}`);
    assert.equal(blue, 0);
  } finally {
    await clip.release();
  }
});

test("CLIP preprocessing: shortest edge, centre crop, OpenAI's mean and std", async () => {
  const p = parsePreprocess({ size: { shortest_edge: 4 }, crop_size: 4 });
  assert.deepEqual(p.crop, [4, 4]);
  const pixels = await clipPixels(solid([255, 0, 0]), p);
  assert.equal(pixels.length, 3 * 16);
  assert.ok(Math.abs((pixels[0] ?? 0) - (1 - 0.48145466) / 0.26862954) < 1e-4);
  assert.ok(Math.abs((pixels[16] ?? 0) - (0 - 0.4578275) / 0.26130258) < 1e-4);
});

test('a folder that is not a CLIP export is refused with the reason', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-clip-'));
  const r = await openClipScorer(root, sessionFactory({ threads: 1 }));
  assert.ok(!r.ok);
  assert.match(r.error, /CLIP model/);
});
