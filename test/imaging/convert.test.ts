import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chwToRgb, floatToByte, nchwToRgb, rgbToChw } from '../../src/imaging/convert.js';
import type { RgbImage } from '../../src/imaging/types.js';

test('floatToByte maps [-1, 1] to [0, 255], clamps overshoot and NaN', () => {
  assert.equal(floatToByte(-1), 0);
  assert.equal(floatToByte(1), 255);
  assert.equal(floatToByte(0), 128);
  assert.equal(floatToByte(-3), 0);
  assert.equal(floatToByte(7), 255);
  assert.equal(floatToByte(Number.NaN), 0);
  assert.equal(floatToByte(0.5, 'unit'), 128);
});

test('an 8-bit image survives RGB → CHW → RGB exactly', () => {
  const data = new Uint8Array(5 * 3 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  const img: RgbImage = { width: 5, height: 3, data };
  for (const range of ['signed', 'unit'] as const) {
    const chw = rgbToChw(img, range);
    assert.deepEqual(chwToRgb(chw, 3, 5, range).data, data);
  }
});

test('rgbToChw puts channels in planes', () => {
  const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
  assert.deepEqual(Array.from(rgbToChw(img)), [1, -1, -1, -1, -1, 1]);
});

test('nchwToRgb splits a batch', () => {
  const batch = new Float32Array(2 * 3 * 1 * 1);
  batch.set([1, -1, -1], 0); // red
  batch.set([-1, -1, 1], 3); // blue
  const [a, b] = nchwToRgb(batch, 2, 1, 1);
  assert.deepEqual(Array.from(a!.data), [255, 0, 0]);
  assert.deepEqual(Array.from(b!.data), [0, 0, 255]);
  assert.throws(() => chwToRgb(batch, 2, 2), /need 12 values/);
});
