// CLIP score (Hessel et al. 2021, as torchmetrics computes it): max(100 · cos(image embedding, text
// embedding), 0), from a CLIP model exported to ONNX as Hugging Face Optimum does (`optimum-cli export onnx
// -m openai/clip-vit-large-patch14`): model.onnx with input_ids, attention_mask, pixel_values →
// text_embeds, image_embeds; the tokenizer files (vocab.json + merges.txt) and preprocessor_config.json
// beside it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Tensor } from 'onnxruntime-node';
import type { RgbImage } from '../imaging/index.js';
import { loadClipTokenizer } from '../models/tokenizer/index.js';
import type { ClipTokenizer } from '../models/tokenizer/index.js';
import type { ModelSession, SessionFactory } from '../models/optimum/index.js';
import { toFloat32 } from '../models/optimum/tensors.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/** Resize, crop and normalisation, from preprocessor_config.json (CLIPImageProcessor's defaults). */
export interface ClipPreprocess {
  readonly shortestEdge: number;
  readonly crop: readonly [height: number, width: number];
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

const CLIP_DEFAULTS: ClipPreprocess = {
  shortestEdge: 224,
  crop: [224, 224],
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

const triple = (v: unknown): [number, number, number] | undefined =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')
    ? (v as [number, number, number])
    : undefined;

export function parsePreprocess(json: Record<string, unknown>): ClipPreprocess {
  const size = json['size'];
  const crop = json['crop_size'];
  const edge =
    typeof size === 'number'
      ? size
      : typeof (size as { shortest_edge?: unknown } | undefined)?.shortest_edge === 'number'
        ? (size as { shortest_edge: number }).shortest_edge
        : CLIP_DEFAULTS.shortestEdge;
  const cropHw: [number, number] =
    typeof crop === 'number'
      ? [crop, crop]
      : typeof (crop as { height?: unknown } | undefined)?.height === 'number'
        ? [(crop as { height: number }).height, (crop as { width: number }).width]
        : [...CLIP_DEFAULTS.crop];
  return {
    shortestEdge: edge,
    crop: cropHw,
    mean: triple(json['image_mean']) ?? CLIP_DEFAULTS.mean,
    std: triple(json['image_std']) ?? CLIP_DEFAULTS.std,
  };
}

/** CLIPImageProcessor: shortest edge to `shortestEdge` (bicubic), centre crop, rescale to [0, 1], normalise; CHW. */
export async function clipPixels(image: RgbImage, p: ClipPreprocess): Promise<Float32Array> {
  const scale = p.shortestEdge / Math.min(image.width, image.height);
  const w = Math.max(p.crop[1], Math.round(image.width * scale));
  const h = Math.max(p.crop[0], Math.round(image.height * scale));
  const { data } = await sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize({ width: w, height: h, kernel: 'cubic', fit: 'fill' })
    .extract({
      left: Math.floor((w - p.crop[1]) / 2),
      top: Math.floor((h - p.crop[0]) / 2),
      width: p.crop[1],
      height: p.crop[0],
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const [ch, cw] = p.crop;
  const out = new Float32Array(3 * ch * cw);
  for (let i = 0; i < ch * cw; i++) {
    p.mean.forEach((mean, c) => {
      out[c * ch * cw + i] = ((data[i * 3 + c] ?? 0) / 255 - mean) / (p.std[c] ?? 1);
    });
  }
  return out;
}

export interface ClipScorer {
  /** max(100 · cos, 0). */
  score(image: RgbImage, prompt: string): Promise<number>;
  release(): Promise<void>;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}

function ids(session: ModelSession, name: string, values: readonly number[]): Tensor {
  const type = session.inputMetadata.find((m) => m.name === name && m.isTensor);
  const dims = [1, values.length];
  return type !== undefined && 'type' in type && type.type === 'int32'
    ? new Tensor('int32', Int32Array.from(values), dims)
    : new Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );
}

export async function openClipScorer(
  dir: string,
  factory: SessionFactory,
): Promise<Result<ClipScorer, string>> {
  const tokenizer = await loadClipTokenizer(dir);
  if (!tokenizer.ok) return err(`CLIP model ${dir}: ${tokenizer.error.message}`);
  let preprocess = CLIP_DEFAULTS;
  try {
    preprocess = parsePreprocess(
      JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>,
    );
  } catch {
    // No preprocessor_config.json: CLIP's own defaults (224, OpenAI's mean and std).
  }
  let session: ModelSession;
  try {
    session = await factory(join(dir, 'model.onnx'));
  } catch (e) {
    return err(`CLIP model ${dir}: ${(e as Error).message}`);
  }
  const names = new Set(session.inputMetadata.map((m) => m.name));
  const outputs = new Set(session.outputMetadata.map((m) => m.name));
  const missing = [
    ...['input_ids', 'pixel_values'].filter((n) => !names.has(n)),
    ...['text_embeds', 'image_embeds'].filter((n) => !outputs.has(n)),
  ];
  if (missing.length > 0) {
    await session.release();
    return err(`CLIP model ${dir}/model.onnx lacks ${missing.join(', ')} (expected an Optimum CLIP export)`);
  }
  return ok(clipScorer(session, tokenizer.value, preprocess, names.has('attention_mask')));
}

function clipScorer(
  session: ModelSession,
  tokenizer: ClipTokenizer,
  p: ClipPreprocess,
  mask: boolean,
): ClipScorer {
  return {
    async score(image, prompt) {
      const enc = tokenizer.encode(prompt, { maxLength: 77 });
      const pixels = await clipPixels(image, p);
      const out = await session.run(
        {
          input_ids: ids(session, 'input_ids', enc.ids),
          ...(mask ? { attention_mask: ids(session, 'attention_mask', enc.attentionMask) } : {}),
          pixel_values: new Tensor('float32', pixels, [1, 3, p.crop[0], p.crop[1]]),
        },
        ['text_embeds', 'image_embeds'],
      );
      const text = toFloat32(out['text_embeds']?.data, 'CLIP text_embeds');
      const img = toFloat32(out['image_embeds']?.data, 'CLIP image_embeds');
      return Math.max(100 * cosine(img, text), 0);
    },
    release: () => session.release(),
  };
}
