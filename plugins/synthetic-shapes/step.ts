// The dataset.synthetic step: N captioned scenes as PNG + sidecar .txt (the layout dataset.images reads),
// the held-out evaluation prompts, and the ground truth of every image.
import sharp from 'sharp';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from 'moe';
import { caption, COLOUR_NAMES, SHAPE_NAMES, type Vocabulary } from './palette.js';
import { renderScene } from './render.js';
import { evalPrompts, holdOut, sceneAt, type SceneOptions } from './scenes.js';

const OUTPUTS = { images: 'images', prompts: 'prompts.json', scenes: 'scenes.jsonl' } as const;

const withSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    count: {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: 240,
      description: 'Number of training images.',
    },
    size: {
      type: 'integer',
      minimum: 16,
      maximum: 4096,
      default: 64,
      description: 'Image side in pixels (square), unless width/height are given.',
    },
    width: { type: 'integer', minimum: 16, maximum: 4096, description: 'Image width; default size.' },
    height: { type: 'integer', minimum: 16, maximum: 4096, description: 'Image height; default size.' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Same seed, same bytes.' },
    eval_fraction: {
      type: 'number',
      minimum: 0,
      maximum: 0.5,
      default: 0.1,
      description:
        'Share of the shape/colour/background combinations never drawn for training (120 with every colour and shape); their captions are the evaluation prompts.',
    },
    colours: {
      type: 'array',
      items: { enum: [...COLOUR_NAMES] },
      minItems: 2,
      uniqueItems: true,
      default: [...COLOUR_NAMES],
      description: 'The colours scenes use, for shapes and backgrounds.',
    },
    shapes: {
      type: 'array',
      items: { enum: [...SHAPE_NAMES] },
      minItems: 1,
      uniqueItems: true,
      default: [...SHAPE_NAMES],
      description: 'The shapes scenes use.',
    },
    eval_prompts: {
      type: 'integer',
      minimum: 1,
      default: 12,
      description: 'How many evaluation prompts to list.',
    },
    shape_size: {
      type: 'number',
      minimum: 0.05,
      maximum: 0.45,
      default: 0.3,
      description: 'Shape size r as a share of the side.',
    },
    size_jitter: {
      type: 'number',
      minimum: 0,
      maximum: 0.9,
      default: 0.25,
      description: 'r shrinks by up to this share.',
    },
    position_jitter: {
      type: 'number',
      minimum: 0,
      maximum: 0.5,
      default: 0.1,
      description: 'The centre moves by up to this share of the side.',
    },
    antialias: {
      type: 'integer',
      minimum: 1,
      maximum: 8,
      default: 4,
      description: 'Supersamples per axis; 1 gives hard edges.',
    },
  },
} as const;

interface Options extends SceneOptions {
  readonly evalPromptCount: number;
  readonly antialias: number;
  readonly vocabulary: Vocabulary;
}

function readOptions(w: unknown): Options {
  const o = (w !== null && typeof w === 'object' ? w : {}) as Record<string, unknown>;
  const num = (key: string, fallback: number) => (typeof o[key] === 'number' ? (o[key] as number) : fallback);
  const size = num('size', 64);
  const words = <T extends string>(key: string, all: readonly T[]): T[] =>
    Array.isArray(o[key]) ? all.filter((w) => (o[key] as unknown[]).includes(w)) : [...all];
  return {
    vocabulary: { colours: words('colours', COLOUR_NAMES), shapes: words('shapes', SHAPE_NAMES) },
    count: num('count', 240),
    width: num('width', size),
    height: num('height', size),
    seed: num('seed', 0),
    evalFraction: num('eval_fraction', 0.1),
    size: num('shape_size', 0.3),
    sizeJitter: num('size_jitter', 0.25),
    positionJitter: num('position_jitter', 0.1),
    evalPromptCount: num('eval_prompts', 12),
    antialias: num('antialias', 4),
  };
}

async function run(ctx: StepContext): Promise<StepResult> {
  const o = readOptions(ctx.with);
  const { train, held } = holdOut(o.seed, o.evalFraction, o.vocabulary);
  const dir = join(ctx.outDir, OUTPUTS.images);
  await mkdir(dir, { recursive: true });
  const digits = Math.max(5, String(o.count - 1).length);
  const scenes: string[] = [];
  for (let i = 0; i < o.count; i++) {
    if (ctx.signal.aborted)
      throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
    const scene = sceneAt(i, train, o);
    const name = String(i).padStart(digits, '0');
    const pixels = renderScene(scene, o.width, o.height, o.antialias);
    const png = await sharp(pixels, { raw: { width: o.width, height: o.height, channels: 3 } })
      .png({ compressionLevel: 6, adaptiveFiltering: false })
      .toBuffer();
    await writeFile(join(dir, `${name}.png`), png);
    await writeFile(join(dir, `${name}.txt`), caption(scene) + '\n');
    const round = (v: number) => Math.round(v * 1000) / 1000;
    scenes.push(
      JSON.stringify({
        file: `${OUTPUTS.images}/${name}.png`,
        caption: caption(scene),
        shape: scene.shape,
        colour: scene.colour,
        background: scene.background,
        cx: round(scene.cx),
        cy: round(scene.cy),
        r: round(scene.r),
      }),
    );
    if (i % 50 === 0 || i === o.count - 1)
      ctx.progress({ done: i + 1, total: o.count, message: `image ${i + 1}/${o.count}` });
  }
  const prompts = evalPrompts(o.seed, held, train, o.evalPromptCount);
  await writeFile(join(ctx.outDir, OUTPUTS.prompts), JSON.stringify(prompts, null, 2) + '\n');
  await writeFile(join(ctx.outDir, OUTPUTS.scenes), scenes.map((s) => s + '\n').join(''));
  ctx.log.info(
    `${o.count} images ${o.width}×${o.height} from ${train.length} combinations; ${held.length} held out, ${prompts.length} evaluation prompts; vocabulary: a on background ${[...o.vocabulary.colours, ...o.vocabulary.shapes].join(' ')}`,
  );
  return {
    summary: { images: o.count, combinations: train.length, held_out: held.length, prompts: prompts.length },
  };
}

export const datasetSynthetic: StepDefinition = {
  name: 'dataset.synthetic',
  version: '1',
  description:
    'Deterministic captioned scenes (a coloured shape on a coloured background) as PNG + .txt, with held-out evaluation prompts',
  withSchema,
  outputs: () => OUTPUTS,
  run,
};
