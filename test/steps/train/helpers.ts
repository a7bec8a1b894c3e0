// Fixtures for train.expert tests: a synthetic embedding cache in the design note's layout, a model folder
// from the tiny family, and a StepContext for calling the step directly.
import { after, before } from 'node:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/formats/safetensors.js';
import type { TensorToWrite } from '../../../src/formats/safetensors.js';
import { generateTinyFamily } from '../../../src/models/tiny/index.js';
import type { StepContext } from '../../../src/contract/step.js';
import type { TrainExpertWith } from '../../../src/steps/train/index.js';
import type { MetricsLine } from '../../../src/train/expert/metrics.js';
import { stepContext } from '../context.js';

export interface CacheOptions {
  readonly train: number;
  readonly eval?: number;
  /** Latent [C, h, w]; several shapes make several buckets, assigned round robin. */
  readonly shapes?: readonly (readonly [number, number, number])[];
  readonly tokens?: number;
  readonly width?: number;
  readonly pooled?: number;
}

/** A small deterministic generator for fixture values. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/**
 * Writes items.jsonl + tensors.safetensors. Items come in four classes: each class has its own latent
 * pattern (a per-channel level and a horizontal ramp) and its own text embedding, so the data can be learnt.
 */
export async function writeCache(dir: string, o: CacheOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shapes = o.shapes ?? [[4, 8, 8]];
  const tokens = o.tokens ?? 77;
  const width = o.width ?? 64;
  const pooled = o.pooled ?? 64;
  const lines: string[] = [];
  const tensors: TensorToWrite[] = [];
  const total = o.train + (o.eval ?? 0);
  for (let i = 0; i < total; i++) {
    const id = `item${String(i).padStart(3, '0')}`;
    const cls = i % 4;
    const [c, h, w] = shapes[i % shapes.length] as readonly [number, number, number];
    const split = i < o.train ? 'train' : 'eval';
    lines.push(
      JSON.stringify({
        id,
        caption: `class ${cls}`,
        split,
        bucket: [h * 4, w * 4],
        time_ids: [h * 4, w * 4, 0, 0, h * 4, w * 4],
      }),
    );
    const latents = new Float32Array(c * h * w);
    const noise = lcg(1000 + i);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          latents[(ch * h + y) * w + x] =
            ((cls + ch) % 4) * 0.5 - 0.75 + (x / w - 0.5) * (cls % 2 ? 1 : -1) + 0.05 * noise();
    const text = lcg(7 + cls);
    tensors.push({ name: `${id}.latents`, shape: [c, h, w], data: latents });
    tensors.push({
      name: `${id}.prompt_embeds`,
      shape: [tokens, width],
      data: Float32Array.from({ length: tokens * width }, text),
    });
    tensors.push({
      name: `${id}.pooled`,
      shape: [pooled],
      data: Float32Array.from({ length: pooled }, text),
    });
  }
  await writeFile(join(dir, 'items.jsonl'), lines.join('\n') + '\n');
  await writeSafetensors(join(dir, 'tensors.safetensors'), tensors, { format: 'moe-embeds' });
}

/** The tiny family in a fresh temp folder (written once per test file). */
export async function tinyModel(root: string): Promise<string> {
  const dir = join(root, 'model');
  const r = await generateTinyFamily(dir, { seed: 3 });
  if (!r.ok) throw new Error(r.error.message);
  return dir;
}

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'moe-train-'));
}

/** What a training test file works in: a temp root, the tiny family in it, and a cache of 8 train / 2 eval items. */
export interface TrainingFixture {
  root: string;
  model: string;
  cache: string;
}

/** Makes the fixture before the file's tests and removes its root after them; read its fields inside tests. */
export function trainingFixture(): Readonly<TrainingFixture> {
  const fx: TrainingFixture = { root: '', model: '', cache: '' };
  before(async () => {
    fx.root = await tempRoot();
    fx.model = await tinyModel(fx.root);
    fx.cache = join(fx.root, 'cache');
    await writeCache(fx.cache, { train: 8, eval: 2 });
  });
  after(async () => {
    await rm(fx.root, { recursive: true, force: true });
  });
  return fx;
}

export interface Captured {
  readonly ctx: StepContext<TrainExpertWith>;
  readonly logs: string[];
  readonly progress: string[];
}

export async function makeContext(
  root: string,
  withValue: TrainExpertWith,
  dirs: { readonly out?: string; readonly checkpoint?: string } = {},
): Promise<Captured> {
  const out = dirs.out ?? (await mkdtemp(join(root, 'out-')));
  const checkpoint = dirs.checkpoint ?? (await mkdtemp(join(root, 'ckpt-')));
  await mkdir(out, { recursive: true });
  await mkdir(checkpoint, { recursive: true });
  const logs: string[] = [];
  const progress: string[] = [];
  const ctx = stepContext(
    {
      nodeId: 'train',
      with: withValue,
      outDir: out,
      checkpointDir: checkpoint,
      sharedCacheDir: join(root, 'shared'),
      tmpDir: join(root, 'tmp'),
      pipelineDir: root,
      progress: (u) => {
        if (u.message !== undefined) progress.push(u.message);
      },
    },
    logs,
  );
  return { ctx, logs, progress };
}

/** A line of metrics.jsonl, as train.expert writes it. */
export type MetricsRow = MetricsLine;

export function parseMetrics(text: string): MetricsRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricsRow);
}
