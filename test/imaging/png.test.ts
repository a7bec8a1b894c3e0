import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { join } from 'node:path';
import { encodePng, readRgb, writeChwPng, writePng } from '../../src/imaging/png.js';
import { composeGrid } from '../../src/imaging/grid.js';
import { mse, psnr } from '../../src/imaging/psnr.js';
import type { RgbImage } from '../../src/imaging/types.js';

function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set([x * 10, y * 20, 100], (y * w + x) * 3);
  }
  return { width: w, height: h, data };
}

test('PNG written and read back is pixel-identical, and encoding is deterministic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-png-'));
  try {
    const img = gradient(7, 4);
    const file = join(dir, 'a.png');
    await writePng(file, img);
    const back = await readRgb(file);
    assert.equal(back.width, 7);
    assert.equal(back.height, 4);
    assert.deepEqual(back.data, img.data);
    assert.deepEqual(await readFile(file), await encodePng(img));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeChwPng writes a [-1, 1] tensor as the expected colours', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-png-'));
  try {
    // 1×2: a red pixel then a grey one
    const chw = Float32Array.from([1, 0, -1, 0, -1, 0]);
    await writeChwPng(join(dir, 'x.png'), chw, 1, 2);
    const back = await readRgb(join(dir, 'x.png'));
    assert.deepEqual(Array.from(back.data), [255, 0, 0, 128, 128, 128]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('composeGrid places cells row by row with gaps, blank for null', async () => {
  const red: RgbImage = {
    width: 2,
    height: 2,
    data: new Uint8Array(12).fill(0).map((_, i) => (i % 3 === 0 ? 255 : 0)),
  };
  const sheet = await composeGrid([red, null, red], { columns: 2, gap: 1, background: [0, 0, 0] });
  assert.equal(sheet.width, 2 * 2 + 3);
  assert.equal(sheet.height, 2 * 2 + 3);
  const px = (x: number, y: number) =>
    Array.from(sheet.data.subarray((y * sheet.width + x) * 3, (y * sheet.width + x) * 3 + 3));
  assert.deepEqual(px(1, 1), [255, 0, 0]); // first cell
  assert.deepEqual(px(4, 1), [0, 0, 0]); // null cell
  assert.deepEqual(px(2, 4), [255, 0, 0]); // third cell, second row
  assert.deepEqual(px(0, 0), [0, 0, 0]); // gap
  const big = await composeGrid([red], { columns: 1, gap: 0, cellWidth: 4, cellHeight: 4 });
  assert.equal(big.width, 4);
  assert.deepEqual(Array.from(big.data.subarray(0, 3)), [255, 0, 0]);
});

test('psnr: identical is Infinity, known MSE gives the formula', () => {
  assert.equal(psnr([1, 2, 3], [1, 2, 3]), Infinity);
  assert.equal(mse([0, 0], [3, 1]), 5);
  assert.ok(Math.abs(psnr([0, 0], [10, 10]) - 10 * Math.log10((255 * 255) / 100)) < 1e-12);
  assert.throws(() => psnr([1], [1, 2]), /lengths differ/);
});

test('readRgb gives 8-bit RGB for 16-bit, grey, RGBA (flattened on white) and CMYK inputs', async () => {
  const solid = (channels: 3 | 4, alpha = 1) =>
    sharp({ create: { width: 4, height: 2, channels, background: { r: 200, g: 100, b: 50, alpha } } });
  const cases = [
    ['16-bit PNG', await solid(3).toColourspace('rgb16').png().toBuffer(), [200, 100, 50]],
    ['grey PNG', await solid(3).greyscale().png().toBuffer(), undefined],
    ['RGBA PNG', await solid(4, 0.5).png().toBuffer(), [228, 178, 153]],
    ['CMYK JPEG', await solid(3).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer(), [200, 100, 50]],
  ] as const;
  for (const [name, bytes, rgb] of cases) {
    const img = await readRgb(bytes);
    assert.equal(img.data.length, 4 * 2 * 3, name);
    const px = Array.from(img.data.subarray(0, 3));
    if (rgb) px.forEach((v, c) => assert.ok(Math.abs(v - rgb[c]!) <= 30, `${name}: ${px} vs ${rgb}`));
    else assert.ok(px[0] === px[1] && px[1] === px[2], `${name} is grey: ${px}`);
  }
});
