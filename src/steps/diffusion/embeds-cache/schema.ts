// The `with` block of embeds.cache.
import type { JsonSchema } from '../../../contract/step.js';

export interface EmbedsCacheWith {
  readonly model: string;
  readonly manifest: string;
  readonly prompts?: string;
  readonly extra_prompts?: readonly string[];
  readonly batch_size?: number;
  readonly device?: 'cpu' | 'cuda';
}

/** What embeds.cache uses when the pipeline leaves a setting out (the schema's `default`s read these). */
export const EMBEDS_CACHE_DEFAULTS = {
  batch_size: 8,
  device: 'cpu',
} as const satisfies Partial<EmbedsCacheWith>;

export const embedsCacheSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'manifest'],
  properties: {
    model: {
      type: 'string',
      minLength: 1,
      description:
        'Model folder (models.tiny output, or an SDXL/SSD-1B Optimum export): its text encoders, tokenizers and VAE encoder are used.',
    },
    manifest: {
      type: 'string',
      minLength: 1,
      description: "dataset.images' manifest.jsonl; image files are read relative to it.",
    },
    prompts: {
      type: 'string',
      minLength: 1,
      description:
        "A JSON file holding a list of prompts (e.g. dataset.synthetic's prompts.json) to encode besides the captions.",
    },
    extra_prompts: {
      type: 'array',
      items: { type: 'string' },
      description:
        'More prompts to encode (evaluation or compose prompts). The empty prompt is never encoded: it is all zeros.',
    },
    batch_size: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: EMBEDS_CACHE_DEFAULTS.batch_size,
      description: 'Prompts or images per encoder call.',
    },
    device: {
      enum: ['cpu', 'cuda'],
      default: EMBEDS_CACHE_DEFAULTS.device,
      description: 'Where the encoders run.',
    },
  },
};
