// The `models.tiny` step: moe's tiny model family (src/models/tiny) as a pipeline node.
import { join } from 'node:path';
import type { StepDefinition, StepContext } from '../../contract/step.js';
import { generateTinyFamily } from '../../models/tiny/index.js';
import { TINY_UNET_CONFIG, TINY_UNET_MAX_CHANNELS } from '../../models/tiny/configs.js';

/** The `with` block of `models.tiny`. */
export interface ModelsTinyWith {
  /** Seeds the text encoders' and the UNet's weights. */
  readonly seed?: number;
  /** The UNet's width per level. @default [32, 64] */
  readonly block_out_channels?: readonly number[];
}

const LEVELS = TINY_UNET_CONFIG.down_block_types.length;
const GROUPS = TINY_UNET_CONFIG.norm_num_groups;

const OUTPUTS = { model: 'model' } as const;

/**
 * `models.tiny`: writes the tiny SDXL family (an SSD-1B-layout model folder) as the node's `model` output.
 * Deterministic per seed, so the engine's cache and "unchanged output keeps downstream cached" both hold.
 */
export const modelsTinyStep: StepDefinition<ModelsTinyWith> = {
  name: 'models.tiny',
  version: '3',
  description: "Generate moe's tiny SDXL family (Optimum layout, diffusers UNet) from a seed",
  withSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: {
        type: 'integer',
        minimum: 0,
        maximum: 4294967295,
        default: 0,
        description:
          "Seed for the text encoders' and the UNet's weights; the VAE and tokenizers do not depend on it.",
      },
      block_out_channels: {
        type: 'array',
        minItems: LEVELS,
        maxItems: LEVELS,
        // A multiple of the group norms' 8 groups is also one of each level's head count (2 and 4).
        items: { type: 'integer', minimum: GROUPS, maximum: TINY_UNET_MAX_CHANNELS, multipleOf: GROUPS },
        default: [...TINY_UNET_CONFIG.block_out_channels],
        description: `The UNet's width at each of its ${LEVELS} levels (8×8 and 4×4 latents for 32-pixel images): multiples of ${GROUPS} (norm_num_groups) up to ${TINY_UNET_MAX_CHANNELS}. The default is the shared reference configuration; tiny.yaml widens the 4×4 level to 72.`,
      },
    },
  },
  outputs: () => OUTPUTS,
  async run(ctx: StepContext<ModelsTinyWith>) {
    const seed = ctx.with.seed ?? 0;
    const blockOutChannels = ctx.with.block_out_channels ?? TINY_UNET_CONFIG.block_out_channels;
    ctx.progress({ message: `generating the tiny family, seed ${seed}` });
    const r = await generateTinyFamily(join(ctx.outDir, OUTPUTS.model), { seed, blockOutChannels });
    if (!r.ok) throw new Error(r.error.message);
    ctx.progress({ done: 1, total: 1, message: `${r.value.files.length} files` });
    return {
      summary: {
        seed,
        block_out_channels: r.value.blockOutChannels.join(','),
        files: r.value.files.length,
        bytes: r.value.totalBytes,
      },
    };
  },
};
