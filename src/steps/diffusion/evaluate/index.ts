/**
 * `evaluate`: the stable evaluation loss (fixed noise seed, fixed timesteps over the whole schedule,
 * held-out items from the embedding cache) per timestep band, for each expert alone and for the composed
 * pair (each timestep routed to the expert that owns it); prompt adherence of compose.inference's images
 * with a scorer; results.json.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import { expertRange } from '../../../diffusion/index.js';
import { describeModelFolder } from '../../../models/optimum/index.js';
import type { SessionFactory } from '../../../models/optimum/index.js';
import { resolveUserPath } from '../../dataset/paths.js';
import { readCachedItems } from '../../../workflow/cache-read.js';
import { bandLoss, composedLoss, evalTimesteps } from '../../../workflow/eval-loss.js';
import { seededNormal } from '../../../workflow/normal.js';
import { schedulerConfig, schedulerMaker } from '../../../workflow/scheduler-config.js';
import { openClipScorer } from '../../../workflow/clip-score.js';
import { sessionPool } from '../../../workflow/session-pool.js';
import { deviceSessions, must, WorkflowError } from '../../../workflow/sessions.js';
import { DigestMemo } from '../../../workflow/digest.js';
import { prepareExpert, UnetRunner } from '../../../workflow/unet.js';
import { scoreImages, type StageAdherence } from './adherence.js';
import { findCheckingScorer } from './checks.js';
import { expertLoss } from './loss.js';
import { evaluateSchema } from './schema.js';
import type { EvaluateWith } from './schema.js';

export type { EvaluateWith } from './schema.js';

const OUTPUTS = { results: 'results.json' } as const;

export interface EvaluateOptions {
  readonly sessions?: SessionFactory;
}

const round = (x: number | null): number | null => (x === null ? null : Number(x.toPrecision(6)));

export async function runEvaluate(
  ctx: StepContext<EvaluateWith>,
  options: EvaluateOptions = {},
): Promise<StepResult> {
  const w = ctx.with;
  const path = (v: string, what: string) => must(resolveUserPath(ctx.pipelineDir, v, what));
  const modelDir = path(w.model, 'model');
  const described = await describeModelFolder(modelDir);
  if (!described.ok) throw new WorkflowError(described.error.message);
  // DDPM's ᾱ is the training one: unclamped under zero-SNR, as the trainer noises.
  const scheduler = must(schedulerMaker('ddpm', schedulerConfig(described.value.schedulerConfig, w)))();
  const n = scheduler.config.num_train_timesteps;
  const predictionType = scheduler.config.prediction_type;
  const alphasCumprod = scheduler.alphasCumprod;
  if (predictionType === 'flow_prediction' || alphasCumprod === undefined)
    throw new WorkflowError('evaluate: flow_prediction is not a DDPM prediction type');
  const strength = w.strength ?? 0.35;
  const baseRange = must(expertRange('base', strength, n));
  const refinerRange = must(expertRange('refiner', strength, n));
  const timesteps = evalTimesteps(w.eval_timesteps ?? 28, n);
  const seed = w.seed ?? 0;

  const split = w.split ?? 'eval';
  const loaded = must(await readCachedItems(path(w.cache, 'cache'), split === 'all' ? [] : [split]));
  const items = loaded.slice(0, w.max_items ?? loaded.length);
  if (items.length === 0) {
    throw new WorkflowError(
      `the cache has no items in the ${split} split; hold some out in dataset.images (eval_fraction) or set split: train`,
    );
  }
  // Fixed noise per item: the same draws for both experts and for every run with this seed.
  const noise = items.map((it, i) =>
    seededNormal((seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0, it.latents.length),
  );
  const inputs = {
    items,
    noise,
    timesteps,
    alphasCumprod,
    predictionType,
    batchSize: w.batch_size ?? 16,
  };

  const open = options.sessions ?? must(deviceSessions(w.device ?? 'cpu', ctx.resources.cpu, ctx.gpus));
  const pool = sessionPool(open);
  // A diffusers expert is converted to ONNX once; the summary says whether this run converted or reused.
  const unets = { converted: 0, reused: 0 };
  const conversions = {
    dir: ctx.sharedCacheDir,
    memo: new DigestMemo(join(ctx.sharedCacheDir, 'digests.json')),
    counts: unets,
  };
  const total = timesteps.length * 2;
  let done = 0;
  const tick = () =>
    ctx.progress({ done: ++done, total, message: `loss at ${done}/${total} (expert, timestep) pairs` });
  const losses: Record<'base' | 'refiner', number[]> = { base: [], refiner: [] };
  try {
    for (const role of ['base', 'refiner'] as const) {
      const expert = must(await prepareExpert(path(w[role], role), join(ctx.tmpDir, role), conversions));
      const unet = await UnetRunner.open(pool.factory, expert);
      const wanted = items[0]?.timeIds.length ?? 6;
      if (unet.timeIdCount !== wanted) {
        throw new WorkflowError(
          `the ${role} UNet takes ${unet.timeIdCount} time ids; the cache holds ${wanted}`,
        );
      }
      losses[role] = await expertLoss(unet, inputs, ctx.signal, tick);
      await pool.releaseAll();
    }
  } finally {
    await pool.releaseAll();
  }
  const composed = composedLoss(timesteps, losses.base, losses.refiner, baseRange);
  const bands = (per: readonly number[]) => {
    const b = bandLoss(timesteps, per, baseRange, refinerRange);
    return {
      base_band: round(b.base_band),
      refiner_band: round(b.refiner_band),
      full: round(b.full),
      per_timestep: b.per_timestep.map(round),
    };
  };
  const loss = { base: bands(losses.base), refiner: bands(losses.refiner), composed: bands(composed) };

  let adherence: unknown = { skipped: 'no compose.inference images given (with.images)' };
  let clipScore: unknown = {
    skipped:
      w.clip === undefined
        ? 'no CLIP model configured (with.clip)'
        : 'no compose.inference images given (with.images)',
  };
  if (w.images !== undefined) {
    const index = path(w.images, 'images');
    if (w.scorer === undefined) adherence = { skipped: 'no scorer given (with.scorer)' };
    else {
      adherence = {
        rule: 'an image adheres when its score is 1: every check of the scorer holds',
        ...(await scoreImages(index, must(await findCheckingScorer(w.scorer, ctx.pipelineDir)))),
      };
    }
    if (w.clip !== undefined) {
      const clip = must(await openClipScorer(path(w.clip, 'clip'), open));
      try {
        const scored = await scoreImages(index, {
          name: 'clip',
          check: async (image, prompt) => ({ score: await clip.score(image, prompt), checks: {} }),
        });
        clipScore = {
          stages: Object.fromEntries(
            Object.entries(scored.stages).map(([k, v]) => [k, { images: v.images, mean: v.mean }]),
          ),
          images: scored.images,
        };
      } finally {
        await clip.release();
      }
    }
  }
  const results = {
    items: items.length,
    split,
    seed,
    prediction_type: predictionType,
    zero_snr: scheduler.config.rescale_betas_zero_snr,
    strength,
    bands: { base: baseRange, refiner: refinerRange },
    timesteps,
    loss,
    adherence,
    clip_score: clipScore,
  };
  await writeFile(join(ctx.outDir, OUTPUTS.results), JSON.stringify(results, null, 2) + '\n');
  const f = (x: number | null) => (x === null ? 'n/a' : x.toPrecision(4));
  ctx.log.info(
    `loss over ${items.length} ${split} items, ${timesteps.length} timesteps: base ${f(loss.base.full)}, refiner ${f(loss.refiner.full)}, composed ${f(loss.composed.full)}`,
  );
  const summary: Record<string, number | string> = {
    items: items.length,
    loss_base: loss.base.full ?? NaN,
    loss_refiner: loss.refiner.full ?? NaN,
    loss_composed: loss.composed.full ?? NaN,
    // The held-out items' latents and text embeddings come from embeds.cache: no encoder runs here.
    embeddings_reused: items.length,
    embeddings_encoded: 0,
    unets_converted: unets.converted,
    unets_reused: unets.reused,
  };
  const stages = (adherence as { stages?: Record<string, StageAdherence> }).stages;
  for (const [stage, s] of Object.entries(stages ?? {})) {
    const rates = Object.entries(s.checks).map(([c, r]) => `${c} ${(r * 100).toFixed(0)}%`);
    ctx.log.info(
      `prompt adherence, ${stage}: ${s.adherent_images} of ${s.images} images pass every check` +
        `${rates.length ? ` (${rates.join(', ')})` : ''}; mean score ${s.mean.toFixed(2)}`,
    );
    summary[`adherence_${stage}`] = s.adherent;
    summary[`adherent_${stage}`] = s.adherent_images;
    summary[`scored_${stage}`] = s.images;
    summary[`adherence_${stage}_mean`] = Number(s.mean.toFixed(4));
    for (const [check, rate] of Object.entries(s.checks))
      summary[`adherence_${stage}_${check}`] = Number(rate.toFixed(4));
  }
  const clipStages = (clipScore as { stages?: Record<string, { mean: number }> }).stages;
  if (clipStages) for (const [stage, s] of Object.entries(clipStages)) summary[`clip_${stage}`] = s.mean;
  return { summary };
}

export const evaluateStep: StepDefinition<EvaluateWith> = {
  name: 'evaluate',
  // 2: adherence is strict (score exactly 1) and results.json records each check per image and stage.
  version: '2',
  description:
    'Stable evaluation loss per timestep band for each expert and the composed pair; prompt adherence',
  withSchema: evaluateSchema,
  outputs: () => OUTPUTS,
  run: (ctx) => runEvaluate(ctx),
};
