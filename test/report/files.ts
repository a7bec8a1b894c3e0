// Upstream outputs as the workflow's steps write them, for the report step's tests: train.expert's
// metrics.jsonl and training.json, evaluate's results.json, compose.inference's index.json and PNGs, the
// embedding cache's item list.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePng } from '../../src/imaging/index.js';
import type { ReportWith } from '../../src/steps/report/index.js';
import { HOSTILE_PROMPT, lossCurve, scene } from './fixture.js';

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

async function expert(dir: string, role: 'base' | 'refiner', start: number, end: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lines = lossCurve(80, start, end).map((p) =>
    JSON.stringify({
      step: p.step,
      loss: p.loss,
      lr: 1e-4,
      timestep_mean: 500,
      timestep_min: 0,
      timestep_max: 999,
    }),
  );
  await writeFile(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  await writeFile(
    join(dir, 'training.json'),
    json({
      backend: 'builtin',
      role,
      strength: 0.35,
      timestep_range: role === 'base' ? [350, 999] : [0, 349],
      prediction_type: 'v_prediction',
      zero_snr: true,
      timestep_spacing: 'trailing',
      noise_schedule: {
        beta_schedule: 'scaled_linear',
        beta_start: 0.00085,
        beta_end: 0.012,
        num_train_timesteps: 1000,
      },
      learning_rate: 0.0003,
      batch_size: 8,
      steps: 80,
      seed: 0,
      elapsed_s: role === 'base' ? 41.5 : 39.2,
      steps_per_s: 1.93,
    }),
  );
}

export const PROMPTS = [
  HOSTILE_PROMPT,
  'a green square on a yellow background',
  'a blue circle on a green background',
];

/** Writes every upstream file under `root` and returns the report's `with` block naming them. */
export async function writeUpstream(root: string): Promise<ReportWith> {
  await expert(join(root, 'base'), 'base', 0.9, 0.3);
  await expert(join(root, 'refiner'), 'refiner', 0.4, 0.1);
  await mkdir(join(root, 'evaluate'), { recursive: true });
  await writeFile(
    join(root, 'evaluate', 'results.json'),
    json({
      bands: { base: [350, 999], refiner: [0, 349], full: [0, 999] },
      loss: {
        base: { base: 0.3, refiner: 0.21, full: 0.27 },
        refiner: { base: 0.55, refiner: 0.1, full: 0.39 },
        pair: { base: 0.3, refiner: 0.1, full: 0.23 },
      },
      adherence: {
        base_only: { score: 0.5, passed: 6, total: 12 },
        pair: { score: 0.92, passed: 11, total: 12 },
      },
      elapsed_s: 12.5,
    }),
  );
  const compose = join(root, 'compose');
  await mkdir(join(compose, 'images'), { recursive: true });
  const images: unknown[] = [];
  const colours: [number, number, number][] = [
    [220, 40, 40],
    [40, 170, 80],
    [40, 70, 200],
  ];
  for (const [i, prompt] of PROMPTS.entries()) {
    const fg = colours[i]!;
    const bg: [number, number, number] = i === 1 ? [240, 200, 40] : i === 2 ? [40, 170, 80] : [40, 70, 200];
    const shape = i === 1 ? 'square' : 'circle';
    await writePng(join(compose, 'images', `${i}-base.png`), scene(32, shape, fg, bg, 0.3));
    await writePng(join(compose, 'images', `${i}-composed.png`), scene(32, shape, fg, bg));
    images.push({
      prompt,
      seed: 1,
      base_only: `images/${i}-base.png`,
      composed: `images/${i}-composed.png`,
      adherence: { base_only: { correct: false }, composed: { correct: true } },
    });
  }
  await writeFile(join(compose, 'index.json'), json({ images, elapsed_s: 6.1 }));
  const cache = join(root, 'cache');
  await mkdir(cache, { recursive: true });
  const items = Array.from({ length: 10 }, (_, i) =>
    JSON.stringify({ id: `item${i}`, caption: 'c', split: i < 8 ? 'train' : 'eval', bucket: [32, 32] }),
  );
  await writeFile(join(cache, 'items.jsonl'), items.join('\n') + '\n');
  await writeFile(
    join(cache, 'prompts.jsonl'),
    PROMPTS.map((p) => JSON.stringify({ id: p, prompt: p })).join('\n') + '\n',
  );
  return {
    title: 'tiny <pipeline>',
    subtitle: 'strength 0.35',
    experts: {
      base: { metrics: join(root, 'base', 'metrics.jsonl'), config: join(root, 'base', 'training.json') },
      refiner: {
        metrics: join(root, 'refiner', 'metrics.jsonl'),
        config: join(root, 'refiner', 'training.json'),
      },
    },
    evaluation: join(root, 'evaluate', 'results.json'),
    samples: join(compose, 'index.json'),
    cache,
    parameters: { strength: 0.35, seed: 0 },
  };
}
