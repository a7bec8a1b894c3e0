// The `with` block of dataset.images: its JSON Schema and the typed, defaulted form the step works with.
import type { JsonSchema } from '../../contract/step.js';
import type { JsonValue } from '../../pipeline/types.js';
import { defaultBucketStep } from './buckets.js';
import type { CropMode } from './crop.js';

export const datasetImagesSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description:
        'Folder of images (recursively). Relative paths resolve against the pipeline file and must stay inside its directory.',
    },
    manifest: {
      type: 'string',
      minLength: 1,
      description:
        'A .jsonl or .csv file (relative to path) with file and caption columns. Without it, each image needs a sidecar <name>.txt.',
    },
    file_column: {
      type: 'string',
      minLength: 1,
      description: 'Manifest column with the image path. Default: file, else file_name.',
    },
    caption_column: {
      type: 'string',
      minLength: 1,
      description: 'Manifest column with the caption. Default: caption, else text.',
    },
    resolution: {
      type: 'integer',
      minimum: 8,
      maximum: 8192,
      default: 1024,
      description: 'Target side: buckets have about resolution² pixels.',
    },
    buckets: {
      type: 'boolean',
      default: true,
      description: 'Aspect-ratio buckets; false crops every image to resolution×resolution.',
    },
    bucket_step: {
      type: 'integer',
      minimum: 1,
      description:
        'Bucket sides are multiples of this. Default: resolution/16 rounded down to a multiple of 8, at least 8.',
    },
    max_aspect_ratio: {
      type: 'number',
      minimum: 1,
      maximum: 8,
      default: 2.5,
      description: 'Longest bucket side over shortest.',
    },
    crop: {
      enum: ['center', 'random'],
      default: 'center',
      description: 'Where to cut the bucket from the resized image; random is seeded per item.',
    },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Seeds random crops and the eval split.' },
    min_side: {
      type: 'integer',
      minimum: 1,
      description: 'Images whose shorter side is smaller are skipped. Default: resolution/2.',
    },
    max_bad_fraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'Fail when more than this fraction of the inputs is unusable.',
    },
    eval_fraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'Held-out share, chosen by content hash.',
    },
    eval_count: {
      type: 'integer',
      minimum: 0,
      description: 'Exactly this many held-out items (overrides eval_fraction).',
    },
    allow_empty_captions: {
      type: 'boolean',
      default: false,
      description: 'Keep images whose caption is blank.',
    },
  },
};

export interface DatasetImagesWith {
  readonly path: string;
  readonly manifest: string | undefined;
  readonly fileColumn: string | undefined;
  readonly captionColumn: string | undefined;
  readonly resolution: number;
  readonly buckets: boolean;
  readonly bucketStep: number;
  readonly maxAspectRatio: number;
  readonly crop: CropMode;
  readonly seed: number;
  readonly minSide: number;
  readonly maxBadFraction: number;
  readonly split: { readonly fraction: number } | { readonly count: number };
  readonly allowEmptyCaptions: boolean;
}

function field<T>(
  o: Readonly<Record<string, JsonValue>>,
  key: string,
  type: 'string' | 'number' | 'boolean',
): T | undefined {
  const v = o[key];
  return typeof v === type ? (v as T) : undefined;
}

/** Applies the defaults. The engine has already validated the block against the schema. */
export function readWith(w: JsonValue): DatasetImagesWith {
  const o = (w !== null && typeof w === 'object' && !Array.isArray(w) ? w : {}) as Readonly<
    Record<string, JsonValue>
  >;
  const resolution = field<number>(o, 'resolution', 'number') ?? 1024;
  const count = field<number>(o, 'eval_count', 'number');
  return {
    path: field<string>(o, 'path', 'string') ?? '',
    manifest: field<string>(o, 'manifest', 'string'),
    fileColumn: field<string>(o, 'file_column', 'string'),
    captionColumn: field<string>(o, 'caption_column', 'string'),
    resolution,
    buckets: field<boolean>(o, 'buckets', 'boolean') ?? true,
    bucketStep: field<number>(o, 'bucket_step', 'number') ?? defaultBucketStep(resolution),
    maxAspectRatio: field<number>(o, 'max_aspect_ratio', 'number') ?? 2.5,
    crop: o['crop'] === 'random' ? 'random' : 'center',
    seed: field<number>(o, 'seed', 'number') ?? 0,
    minSide: field<number>(o, 'min_side', 'number') ?? Math.max(1, Math.floor(resolution / 2)),
    maxBadFraction: field<number>(o, 'max_bad_fraction', 'number') ?? 0.1,
    split: count !== undefined ? { count } : { fraction: field<number>(o, 'eval_fraction', 'number') ?? 0.1 },
    allowEmptyCaptions: field<boolean>(o, 'allow_empty_captions', 'boolean') ?? false,
  };
}
