// Conversions between the models' float tensors (CHW, values in [-1, 1] as the VAE sees them) and 8-bit
// RGB images. diffusers maps with x/127.5 − 1 on the way in and (x + 1)/2·255, rounded and clamped, on the
// way out; the same rule is used here so round trips of 8-bit images are exact.
import { assertRgb, type RgbImage } from './types.js';

/** The value range of a float tensor: `signed` is [-1, 1] (VAE input/output), `unit` is [0, 1]. */
export type FloatRange = 'signed' | 'unit';

/** Maps one float in `range` to a byte, clamping out-of-range values (a decoder may overshoot). */
export function floatToByte(v: number, range: FloatRange = 'signed'): number {
  const unit = range === 'signed' ? (v + 1) / 2 : v;
  if (!(unit > 0)) return 0; // also catches NaN
  if (unit >= 1) return 255;
  return Math.round(unit * 255);
}

/** Maps one byte to a float in `range`. */
export function byteToFloat(b: number, range: FloatRange = 'signed'): number {
  return range === 'signed' ? b / 127.5 - 1 : b / 255;
}

/**
 * A CHW float tensor (3 channels) to an RGB image. `offset` selects one image of a batch laid out NCHW
 * (offset = n·3·H·W).
 */
export function chwToRgb(
  chw: Float32Array,
  height: number,
  width: number,
  range: FloatRange = 'signed',
  offset = 0,
): RgbImage {
  const plane = height * width;
  if (offset < 0 || chw.length < offset + 3 * plane) {
    throw new RangeError(
      `chwToRgb: need ${3 * plane} values from offset ${offset}, tensor has ${chw.length}`,
    );
  }
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) data[i * 3 + c] = floatToByte(chw[base + i] ?? 0, range);
  }
  return { width, height, data };
}

/** Every image of an NCHW batch with 3 channels. */
export function nchwToRgb(
  nchw: Float32Array,
  batch: number,
  height: number,
  width: number,
  range: FloatRange = 'signed',
): RgbImage[] {
  const images: RgbImage[] = [];
  for (let n = 0; n < batch; n++) images.push(chwToRgb(nchw, height, width, range, n * 3 * height * width));
  return images;
}

/** An RGB image to a CHW float tensor in `range`. */
export function rgbToChw(img: RgbImage, range: FloatRange = 'signed'): Float32Array {
  assertRgb(img);
  const plane = img.width * img.height;
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = byteToFloat(img.data[i * 3 + c] ?? 0, range);
  }
  return out;
}
