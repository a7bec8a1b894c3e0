// Resize-then-crop as SDXL's training does: scale the image so it covers the bucket, then cut the bucket
// out. The crop's top-left corner is in the coordinates of the resized image; SDXL conditions on it
// (time_ids = [orig_h, orig_w, crop_top, crop_left, target_h, target_w]).
import type { Bucket } from './buckets.js';
import { hashU32 } from './hash.js';

export type CropMode = 'center' | 'random';

export interface CropPlan {
  /** Size after resizing, before cropping: [h, w], each ≥ the bucket's. */
  readonly resized: readonly [number, number];
  /** [top, left] of the crop inside the resized image. */
  readonly cropTopLeft: readonly [number, number];
}

/**
 * Where to cut `bucket` from an h×w image. `random` draws the offset from the item id and the seed, so
 * it is the same in every run and independent of the other items.
 */
export function planCrop(
  height: number,
  width: number,
  bucket: Bucket,
  mode: CropMode,
  seed: number,
  id: string,
): CropPlan {
  const scale = Math.max(bucket.width / width, bucket.height / height);
  const rh = Math.max(bucket.height, Math.round(height * scale));
  const rw = Math.max(bucket.width, Math.round(width * scale));
  const spareH = rh - bucket.height;
  const spareW = rw - bucket.width;
  const [top, left] =
    mode === 'center'
      ? [Math.floor(spareH / 2), Math.floor(spareW / 2)]
      : [hashU32('crop-top', seed, id) % (spareH + 1), hashU32('crop-left', seed, id) % (spareW + 1)];
  return { resized: [rh, rw], cropTopLeft: [top, left] };
}
