// Batches the UNet's conditioning for a stage: [negative, positive] under guidance, the positive alone
// otherwise, with SDXL time ids of the UNet's own form (6 values, or 5 with aesthetic scores).
import { baseTimeIds, refinerTimeIds } from '../diffusion/index.js';
import type { Size } from '../diffusion/index.js';
import type { Conditioning } from './unet.js';
import { concatFloat32 as concat } from '../util/float32.js';

/** One prompt's text conditioning: [tokens, width] hidden states and the pooled vector. */
export interface TextEmbedding {
  readonly hidden: Float32Array;
  readonly tokens: number;
  readonly width: number;
  readonly pooled: Float32Array;
}

/** Time ids for a text-to-image sample of `size`: no crop, target = original. */
function timeIdsFor(count: number, size: Size, negative: boolean): Float32Array {
  if (count === 5) return refinerTimeIds(size, [0, 0], negative ? 2.5 : 6);
  return baseTimeIds(size, [0, 0], size);
}

export function stageConditioning(
  positive: TextEmbedding,
  negative: TextEmbedding | undefined,
  timeIdCount: number,
  size: Size,
): Conditioning {
  const parts = negative ? [negative, positive] : [positive];
  return {
    batch: parts.length,
    hidden: concat(parts.map((p) => p.hidden)),
    tokens: positive.tokens,
    width: positive.width,
    pooled: concat(parts.map((p) => p.pooled)),
    timeIds: concat(parts.map((_, i) => timeIdsFor(timeIdCount, size, negative !== undefined && i === 0))),
  };
}

/** All zeros: the empty negative prompt under force_zeros_for_empty_prompt. */
export function zeroText(tokens: number, width: number, pooled: number): TextEmbedding {
  return { hidden: new Float32Array(tokens * width), tokens, width, pooled: new Float32Array(pooled) };
}
