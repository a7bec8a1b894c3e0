// The `models.tiny` step: moe's tiny model family (src/models/tiny) as a pipeline node.
import { join } from 'node:path';
import type { StepDefinition, StepContext } from '../../contract/step.js';
import { generateTinyFamily } from '../../models/tiny/index.js';

/** The `with` block of `models.tiny`. */
export interface ModelsTinyWith {
  /** Seeds the text encoders' and the UNet's weights. */
  readonly seed?: number;
}

const OUTPUTS = { model: 'model' } as const;

/**
 * `models.tiny`: writes the tiny SDXL family (an SSD-1B-layout model folder) as the node's `model` output.
 * Deterministic per seed, so the engine's cache and "unchanged output keeps downstream cached" both hold.
 */
export const modelsTinyStep: StepDefinition<ModelsTinyWith> = {
  name: 'models.tiny',
  version: '2',
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
    },
  },
  outputs: () => OUTPUTS,
  async run(ctx: StepContext<ModelsTinyWith>) {
    const seed = ctx.with.seed ?? 0;
    ctx.progress({ message: `generating the tiny family, seed ${seed}` });
    const r = await generateTinyFamily(join(ctx.outDir, OUTPUTS.model), { seed });
    if (!r.ok) throw new Error(r.error.message);
    ctx.progress({ done: 1, total: 1, message: `${r.value.files.length} files` });
    return { summary: { seed, files: r.value.files.length, bytes: r.value.totalBytes } };
  },
};
