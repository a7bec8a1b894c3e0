/** An 8-bit RGB image: rows top to bottom, pixels interleaved R,G,B (HWC), `data.length = width·height·3`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Checks the buffer length against the dimensions; a mismatch is a bug in the caller, so it throws. */
export function assertRgb(img: RgbImage, what = 'image'): void {
  const expected = img.width * img.height * 3;
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(`${what}: expected positive integer dimensions, got ${img.width}×${img.height}`);
  }
  if (img.data.length !== expected) {
    throw new RangeError(
      `${what}: expected ${expected} bytes for ${img.width}×${img.height} RGB, got ${img.data.length}`,
    );
  }
}
