// PNG in and out through sharp. Decoding flattens alpha onto white and applies EXIF orientation so every
// caller sees the picture a viewer shows.
import sharp from 'sharp';
import { writeFile, rename } from 'node:fs/promises';
import { chwToRgb, type FloatRange } from './convert.js';
import { assertRgb, type RgbImage } from './types.js';

/** Encodes an RGB image as PNG. Same pixels → same bytes (for a given sharp/libvips build). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  assertRgb(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

/** Writes an RGB image as a PNG file atomically (temp file, then rename), so readers never see half a file. */
export async function writePng(path: string, img: RgbImage): Promise<void> {
  const bytes = await encodePng(img);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** Writes a CHW float tensor (3 channels, values in `range`) as a PNG file. */
export async function writeChwPng(
  path: string,
  chw: Float32Array,
  height: number,
  width: number,
  range: FloatRange = 'signed',
): Promise<void> {
  await writePng(path, chwToRgb(chw, height, width, range));
}

/** Decodes any image sharp reads (a path or bytes) to RGB; throws sharp's error when it cannot. */
export async function readRgb(input: string | Buffer | Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(input, { failOn: 'warning' })
    .rotate()
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) {
    throw new Error(`expected 3 channels after flattening, got ${info.channels}`);
  }
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
