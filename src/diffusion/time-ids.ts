// SDXL's micro-conditioning vector `add_time_ids` (Podell et al. 2023, "SDXL", §2.2), as the SDXL
// pipelines build it.

export type Size = readonly [height: number, width: number];
export type Crop = readonly [top: number, left: number];

/**
 * The base model's (and SSD-1B's, in both stages) 6 values:
 * [original_h, original_w, crop_top, crop_left, target_h, target_w].
 */
export function baseTimeIds(originalSize: Size, cropTopLeft: Crop, targetSize: Size): Float32Array {
  return Float32Array.of(...originalSize, ...cropTopLeft, ...targetSize);
}

/**
 * The SDXL refiner's 5 values (requires_aesthetics_score): [original_h, original_w, crop_top, crop_left,
 * aesthetic_score]; the positive prompt uses the aesthetic score (default 6.0), the negative one the
 * negative score (default 2.5) with its own size and crop.
 */
export function refinerTimeIds(originalSize: Size, cropTopLeft: Crop, aestheticScore = 6): Float32Array {
  return Float32Array.of(...originalSize, ...cropTopLeft, aestheticScore);
}

export interface TimeIdPair {
  readonly positive: Float32Array;
  readonly negative: Float32Array;
}

export interface TimeIdOptions {
  readonly originalSize: Size;
  readonly cropTopLeft?: Crop;
  readonly targetSize?: Size;
  readonly negativeOriginalSize?: Size;
  readonly negativeCropTopLeft?: Crop;
  readonly negativeTargetSize?: Size;
  readonly aestheticScore?: number;
  readonly negativeAestheticScore?: number;
}

/**
 * How a stage builds its time ids:
 * - `base`: StableDiffusionXLPipeline (text to image), 6 values; the negative ids use the negative size,
 *   crop and target.
 * - `img2img`: StableDiffusionXLImg2ImgPipeline with a UNet that has no aesthetic embedding (SSD-1B as the
 *   second stage), 6 values; diffusers builds the negative ids from the *positive* crop there, not
 *   negative_crops_coords_top_left, and moe follows it so the UNet sees what it saw in diffusers.
 * - `refiner-aesthetic`: the SDXL refiner (requires_aesthetics_score), 5 values ending in the score.
 */
export type TimeIdForm = 'base' | 'img2img' | 'refiner-aesthetic';

/**
 * The positive and negative time ids of a stage, with SDXL's defaults (crop (0, 0), target = original,
 * negatives = positives, scores 6.0 / 2.5).
 */
export function stageTimeIds(form: TimeIdForm, options: TimeIdOptions): TimeIdPair {
  const crop = options.cropTopLeft ?? [0, 0];
  const target = options.targetSize ?? options.originalSize;
  const negOriginal = options.negativeOriginalSize ?? options.originalSize;
  const negCrop = options.negativeCropTopLeft ?? crop;
  switch (form) {
    case 'refiner-aesthetic':
      return {
        positive: refinerTimeIds(options.originalSize, crop, options.aestheticScore ?? 6),
        negative: refinerTimeIds(negOriginal, negCrop, options.negativeAestheticScore ?? 2.5),
      };
    case 'base':
      return {
        positive: baseTimeIds(options.originalSize, crop, target),
        negative: baseTimeIds(negOriginal, negCrop, options.negativeTargetSize ?? target),
      };
    case 'img2img':
      return {
        positive: baseTimeIds(options.originalSize, crop, target),
        negative: baseTimeIds(negOriginal, crop, options.negativeTargetSize ?? target),
      };
  }
}
