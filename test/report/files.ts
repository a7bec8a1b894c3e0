// Upstream outputs as the workflow's steps write them, for the report step's tests: train.expert's
// metrics.jsonl and training.json, evaluate's results.json, compose.inference's index.json and PNGs, the
// embedding cache's item list.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePng } from '../../src/imaging/index.js';
import type { ReportWith } from '../../src/steps/report/index.js';
import { CHECK_LABELS } from '../../plugins/synthetic-shapes/index.js';
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

/** One scored image of evaluate's adherence section. */
interface ScoredImage {
  file: string;
  stage: string;
  prompt: string;
  score: number;
  adherent: boolean;
  checks: Record<string, boolean>;
  seen: Record<string, string | null>;
  reading: string;
}

/**
 * compose.inference's PNGs (composed clean, base-only noisy) and index.json under `dir`; returns the
 * scores evaluate gives those images.
 */
async function writeCompose(dir: string): Promise<ScoredImage[]> {
  const images: { prompt: string; prompt_refiner: string; seed: number; stage: string; file: string }[] = [];
  const scored: ScoredImage[] = [];
  const colours: [number, number, number][] = [
    [220, 40, 40],
    [40, 170, 80],
    [40, 70, 200],
  ];
  for (const stage of ['composed', 'base']) await mkdir(join(dir, 'images', stage), { recursive: true });
  for (const [i, prompt] of PROMPTS.entries()) {
    const fg = colours[i]!;
    const bg: [number, number, number] = i === 1 ? [240, 200, 40] : i === 2 ? [40, 170, 80] : [40, 70, 200];
    const shape = i === 1 ? 'square' : 'circle';
    for (const stage of ['composed', 'base']) {
      const file = `${stage}/p${i}-s1.png`;
      await writePng(join(dir, 'images', file), scene(32, shape, fg, bg, stage === 'base' ? 0.3 : 0));
      images.push({ prompt, prompt_refiner: prompt, seed: 1, stage, file });
      const base = stage === 'base';
      scored.push({
        file,
        stage,
        prompt,
        score: base ? 2 / 3 : 1,
        adherent: !base,
        checks: { color: !base, shape: true, background: true },
        seen: { background: 'blue', colour: base ? 'grey' : 'red', shape },
        reading: `a ${base ? 'grey' : 'red'} ${shape} on blue`,
      });
    }
  }
  await writeFile(
    join(dir, 'index.json'),
    json({
      scheduler: 'unipc',
      steps: 40,
      split: 0.65,
      cutoff: 350,
      base_steps: 26,
      refiner_steps: 14,
      images,
    }),
  );
  return scored;
}

/** evaluate's results.json: losses by band, and the adherence of the scored images. */
async function writeEvaluation(dir: string, scored: readonly ScoredImage[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const band = (b: number, r: number, f: number) => ({
    base_band: b,
    refiner_band: r,
    full: f,
    per_timestep: [b, (b + r) / 2, r],
  });
  await writeFile(
    join(dir, 'results.json'),
    json({
      items: 12,
      strength: 0.35,
      bands: { base: { min: 350, max: 999 }, refiner: { min: 0, max: 349 } },
      timesteps: [999, 500, 100],
      loss: { base: band(0.3, 0.21, 0.27), refiner: band(0.55, 0.1, 0.39), composed: band(0.3, 0.1, 0.23) },
      adherence: {
        rule: 'an image adheres when its score is 1: every check of the scorer holds',
        scorer: '../plugins/synthetic-shapes#scoreAdherence',
        checks: ['color', 'shape', 'background'],
        check_labels: CHECK_LABELS,
        stages: {
          composed: {
            images: 12,
            adherent_images: 11,
            adherent: 11 / 12,
            mean: 0.95,
            checks: { color: 1, shape: 11 / 12, background: 1 },
          },
          base: {
            images: 12,
            adherent_images: 6,
            adherent: 0.5,
            mean: 0.7,
            checks: { color: 0.5, shape: 1, background: 0.6 },
          },
        },
        images: scored,
      },
      clip_score: { skipped: 'no CLIP model' },
    }),
  );
}

/** The embedding cache's item and prompt lists. */
async function writeCache(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const items = Array.from({ length: 10 }, (_, i) =>
    JSON.stringify({ id: `item${i}`, caption: 'c', split: i < 8 ? 'train' : 'eval', bucket: [32, 32] }),
  );
  await writeFile(join(dir, 'items.jsonl'), items.join('\n') + '\n');
  await writeFile(
    join(dir, 'prompts.jsonl'),
    PROMPTS.map((p) => JSON.stringify({ id: p, prompt: p })).join('\n') + '\n',
  );
}

/** Writes every upstream file under `root` and returns the report's `with` block naming them. */
export async function writeUpstream(root: string): Promise<ReportWith> {
  await expert(join(root, 'base'), 'base', 0.9, 0.3);
  await expert(join(root, 'refiner'), 'refiner', 0.4, 0.1);
  const compose = join(root, 'compose');
  await writeEvaluation(join(root, 'evaluate'), await writeCompose(compose));
  const cache = join(root, 'cache');
  await writeCache(cache);
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
