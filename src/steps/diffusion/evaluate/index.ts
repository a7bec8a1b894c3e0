/**
 * `evaluate`: the stable evaluation loss (fixed noise seed, fixed timesteps over the whole schedule,
 * held-out items from the embedding cache) per timestep band, for each expert alone and for the composed
 * pair (each timestep routed to the expert that owns it); prompt adherence of compose.inference's images
 * with a scorer; results.json. With a CPU share of 2 or more the two experts' losses are computed at the
 * same time, the refiner's on a thread of its own (the same numbers as one after the other).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import type { TimestepRange } from '../../../diffusion/index.js';
import { describeModelFolder } from '../../../models/optimum/index.js';
import type { SessionFactory } from '../../../models/optimum/index.js';
import { withDefaults } from '../../defaults.js';
import type { WithDefaults } from '../../defaults.js';
import { isSkipped } from '../../files/evaluation.js';
import type { BandLosses, EvaluationResults } from '../../files/evaluation.js';
import { readCachedItems } from '../../../workflow/cache-read.js';
import { bandLoss, composedLoss } from '../../../workflow/eval-loss.js';
import { resolveFlow } from '../../../workflow/flow-objective.js';
import type { FlowSettings } from '../../../workflow/flow-objective.js';
import { ExpertSession } from '../../../workflow/expert-session.js';
import type { SessionPool } from '../../../workflow/session-pool.js';
import { UnetRunner } from '../../../workflow/unet.js';
import { itemNoise } from '../../../workflow/normal.js';
import { openClipScorer } from '../../../workflow/clip-score.js';
import { must, WorkflowError } from '../../../workflow/sessions.js';
import { scoreImages } from './adherence.js';
import { findCheckingScorer } from './checks.js';
import { expertLoss } from './loss.js';
import type { LossInputs } from './loss.js';
import { evaluationPlan } from './plan.js';
import type { EvaluationPlan } from './plan.js';
import { EVALUATE_DEFAULTS, evaluateSchema } from './schema.js';
import type { EvaluateWith } from './schema.js';

export type { EvaluateWith } from './schema.js';

const OUTPUTS = { results: 'results.json' } as const;

export interface EvaluateOptions {
  readonly sessions?: SessionFactory;
}

type Settings = WithDefaults<EvaluateWith, typeof EVALUATE_DEFAULTS>;

const round = (x: number | null): number | null => (x === null ? null : Number(x.toPrecision(6)));

/** What the loss is computed on: the objective, the experts' bands, fixed timesteps, items and noise. */
interface LossSetup {
  readonly inputs: LossInputs;
  readonly record: EvaluationPlan['record'];
  readonly bands: { readonly base: TimestepRange; readonly refiner: TimestepRange };
}

export async function runEvaluate(
  ctx: StepContext<EvaluateWith>,
  options: EvaluateOptions = {},
): Promise<StepResult> {
  const w = withDefaults(ctx.with, EVALUATE_DEFAULTS);
  return ExpertSession.run(
    ctx,
    w.device,
    options.sessions,
    async (session) => {
      // The boundary is read from what the pipeline wrote (strength's default must not count as given).
      const setup = await lossSetup(session, w, must(resolveFlow(ctx.with)));
      const loss = await lossPerBand(ctx, session, w, setup);
      const results: EvaluationResults = {
        items: setup.inputs.items.length,
        split: w.split,
        seed: w.seed,
        ...setup.record,
        bands: setup.bands,
        timesteps: setup.inputs.timesteps,
        loss,
        ...(await scores(ctx, session, w)),
      };
      await writeFile(join(ctx.outDir, OUTPUTS.results), JSON.stringify(results, null, 2) + '\n');
      return { summary: summarize(ctx, results, session), metrics: metricsOf(results) };
    },
    2,
  );
}

/** The objective's plan (timesteps, bands, noising), the held-out items and their fixed noise. */
async function lossSetup(
  session: ExpertSession,
  w: Settings,
  flow: FlowSettings | undefined,
): Promise<LossSetup> {
  const described = await describeModelFolder(session.path(w.model, 'model'));
  if (!described.ok) throw new WorkflowError(described.error.message);
  const plan = evaluationPlan(w, flow, described.value.schedulerConfig);
  const bands = { base: plan.base, refiner: plan.refiner };
  const timesteps = plan.timesteps;
  const cache = session.path(w.cache, 'cache');
  const loaded = must(await readCachedItems(cache, w.split === 'all' ? [] : [w.split]));
  const items = loaded.slice(0, w.max_items ?? loaded.length);
  if (items.length === 0) {
    throw new WorkflowError(
      `the cache has no items in the ${w.split} split; hold some out in dataset.images (eval_fraction) or set split: train`,
    );
  }
  const noise = items.map((it, i) => itemNoise(w.seed, i, it.latents.length));
  const inputs = { items, noise, timesteps, objective: plan.objective, batchSize: w.batch_size };
  return { inputs, record: plan.record, bands };
}

/** Each expert's loss at every evaluation timestep, then per band for each expert and the composed pair. */
async function lossPerBand(
  ctx: StepContext<EvaluateWith>,
  session: ExpertSession,
  w: Settings,
  setup: LossSetup,
): Promise<EvaluationResults['loss']> {
  const { inputs, bands } = setup;
  const total = inputs.timesteps.length * 2;
  let done = 0;
  const tick = () =>
    ctx.progress({ done: ++done, total, message: `loss at ${done}/${total} (expert, timestep) pairs` });
  const losses: Record<'base' | 'refiner', number[]> = { base: [], refiner: [] };
  // Converted one after the other (the conversion cache's digest file is written by each).
  const experts = {
    base: await session.expert('base', w.base),
    refiner: await session.expert('refiner', w.refiner),
  };
  const lossOf = async (role: 'base' | 'refiner', pool: SessionPool) => {
    const unet = await UnetRunner.open(pool.factory, experts[role]);
    const wanted = inputs.items[0]?.timeIds.length ?? 6;
    if (unet.timeIdCount !== wanted) {
      throw new WorkflowError(
        `the ${role} UNet takes ${unet.timeIdCount} time ids; the cache holds ${wanted}`,
      );
    }
    losses[role] = await expertLoss(unet, inputs, ctx.signal, tick);
    await pool.releaseAll();
  };
  if (session.lanes > 1) {
    // The two experts at once, the refiner on a thread of its own: the same numbers as one after the other.
    const settled = await Promise.allSettled([
      lossOf('base', session.pool),
      lossOf('refiner', session.lane()),
    ]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } else {
    for (const role of ['base', 'refiner'] as const) await lossOf(role, session.pool);
  }
  const { timesteps } = inputs;
  const composed = composedLoss(timesteps, losses.base, losses.refiner, bands.base);
  const perBand = (per: readonly number[]): BandLosses => {
    const b = bandLoss(timesteps, per, bands.base, bands.refiner);
    return {
      base_band: round(b.base_band),
      refiner_band: round(b.refiner_band),
      full: round(b.full),
      per_timestep: b.per_timestep.map(round),
    };
  };
  return { base: perBand(losses.base), refiner: perBand(losses.refiner), composed: perBand(composed) };
}

/** Prompt adherence (with the scorer) and CLIP score (with the CLIP model) of compose's images. */
async function scores(
  ctx: StepContext<EvaluateWith>,
  session: ExpertSession,
  w: Settings,
): Promise<Pick<EvaluationResults, 'adherence' | 'clip_score'>> {
  const noImages = 'no compose.inference images given (with.images)';
  const noClip = 'no CLIP model configured (with.clip)';
  if (w.images === undefined) {
    return {
      adherence: { skipped: noImages },
      clip_score: { skipped: w.clip === undefined ? noClip : noImages },
    };
  }
  const index = session.path(w.images, 'images');
  const adherence: EvaluationResults['adherence'] =
    w.scorer === undefined
      ? { skipped: 'no scorer given (with.scorer)' }
      : {
          rule: 'an image adheres when its score is 1: every check of the scorer holds',
          ...(await scoreImages(index, must(await findCheckingScorer(w.scorer, ctx.pipelineDir)))),
        };
  if (w.clip === undefined) return { adherence, clip_score: { skipped: noClip } };
  const clip = must(await openClipScorer(session.path(w.clip, 'clip'), session.open));
  try {
    const scored = await scoreImages(index, {
      name: 'clip',
      check: async (image, prompt) => ({ score: await clip.score(image, prompt), checks: {} }),
    });
    const stages = Object.entries(scored.stages).map(([k, v]) => [k, { images: v.images, mean: v.mean }]);
    return { adherence, clip_score: { stages: Object.fromEntries(stages), images: scored.images } };
  } finally {
    await clip.release();
  }
}

/**
 * The metrics a sweep compares: each model's loss on the base's band, the refiner's band and the full
 * range (`loss.composed.full` is the pair's headline), the strict adherence share and mean score per
 * stage when a scorer is set, and the CLIP score per stage when a CLIP model is.
 */
export function metricsOf(results: EvaluationResults): Record<string, number> {
  const m: Record<string, number> = {};
  for (const model of ['base', 'refiner', 'composed'] as const) {
    const l = results.loss[model];
    for (const band of ['full', 'base_band', 'refiner_band'] as const) {
      const v = l[band];
      if (v !== null) m[`loss.${model}.${band}`] = v;
    }
  }
  if (!isSkipped(results.adherence)) {
    for (const [stage, s] of Object.entries(results.adherence.stages)) {
      m[`adherence.${stage}`] = s.adherent;
      m[`adherence.${stage}.mean`] = s.mean;
    }
  }
  if (!isSkipped(results.clip_score))
    for (const [stage, s] of Object.entries(results.clip_score.stages)) m[`clip.${stage}`] = s.mean;
  return m;
}

/** The node's summary, and the log lines saying the same. */
function summarize(
  ctx: StepContext<EvaluateWith>,
  results: EvaluationResults,
  session: ExpertSession,
): Record<string, number | string> {
  const { loss, items, split, timesteps } = results;
  const f = (x: number | null) => (x === null ? 'n/a' : x.toPrecision(4));
  ctx.log.info(
    `loss over ${items} ${split} items, ${timesteps.length} timesteps: base ${f(loss.base.full)}, refiner ${f(loss.refiner.full)}, composed ${f(loss.composed.full)}`,
  );
  const summary: Record<string, number | string> = {
    items,
    loss_base: loss.base.full ?? NaN,
    loss_refiner: loss.refiner.full ?? NaN,
    loss_composed: loss.composed.full ?? NaN,
    // The held-out items' latents and text embeddings come from embeds.cache: no encoder runs here.
    embeddings_reused: items,
    embeddings_encoded: 0,
    ...session.unetSummary,
  };
  const stages = isSkipped(results.adherence) ? {} : results.adherence.stages;
  for (const [stage, s] of Object.entries(stages)) {
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
  if (!isSkipped(results.clip_score))
    for (const [stage, s] of Object.entries(results.clip_score.stages)) summary[`clip_${stage}`] = s.mean;
  return summary;
}

export const evaluateStep: StepDefinition<EvaluateWith> = {
  name: 'evaluate',
  // 2: adherence is strict (score exactly 1) and results.json records each check per image and stage.
  // 3: the scorer's check labels and readings (adherence.check_labels, images[].reading) for the report.
  version: '3',
  description:
    'Stable evaluation loss per timestep band for each expert and the composed pair; prompt adherence',
  withSchema: evaluateSchema,
  outputs: () => OUTPUTS,
  run: (ctx) => runEvaluate(ctx),
};
