/**
 * `compose.inference`: the two-stage sampler. The base expert denoises from noise down to the hand-off
 * (split = 1 − strength), the refiner finishes (diffusers' denoising_end / denoising_start, from the
 * numerics module), and the VAE decodes. Optionally the base also runs the whole schedule alone, for the
 * report's comparison. One model is loaded at a time: text encoders, base, refiner, VAE decoder; with
 * a CPU share of 2 or more (`resources: { cpu: 2 }`), two lanes sample half the runs each at the same
 * time, each with its own base and refiner sessions (the same numbers as one lane, twice the UNets).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import type { Scheduler, SchedulerKind } from '../../../diffusion/index.js';
import { decodeLatents, encodePrompts, openModelFolder } from '../../../models/optimum/index.js';
import type { OpenedModelFolder, SessionFactory } from '../../../models/optimum/index.js';
import { nchwToRgb, writePng } from '../../../imaging/index.js';
import { resolveUserPath } from '../../dataset/paths.js';
import { withDefaults } from '../../defaults.js';
import type { WithDefaults } from '../../defaults.js';
import type { ComposedImage, ComposeIndex } from '../../files/compose-index.js';
import { stageConditioning, zeroText } from '../../../workflow/conditioning.js';
import type { TextEmbedding } from '../../../workflow/conditioning.js';
import { ExpertSession } from '../../../workflow/expert-session.js';
import type { ExpertRole } from '../../../diffusion/index.js';
import { initialNoise } from '../../../workflow/normal.js';
import { readPromptFile } from '../../../workflow/prompt-file.js';
import { denoise, usesGuidance } from '../../../workflow/sample.js';
import { resolveFlow } from '../../../workflow/flow-objective.js';
import { must, WorkflowError } from '../../../workflow/sessions.js';
import { UnetRunner } from '../../../workflow/unet.js';
import { composePlan } from './handoff.js';
import type { ComposePlan } from './handoff.js';
import { COMPOSE_DEFAULTS, composeSchema } from './schema.js';
import type { ComposePrompt, ComposeWith, PerStage } from './schema.js';

export type { ComposeWith } from './schema.js';
export type { ComposedImage } from '../../files/compose-index.js';

const OUTPUTS = { images: 'images', index: 'index.json' } as const;

/** Runs sampled at once with a CPU share of 2 or more: one lane on moe's main thread, one on a thread. */
const LANES = 2;

export interface ComposeOptions {
  readonly sessions?: SessionFactory;
}

const stageValue = (v: PerStage<number> | undefined, stage: 'base' | 'refiner', dflt: number): number =>
  typeof v === 'number' ? v : (v?.[stage] ?? dflt);

async function promptList(ctx: StepContext<ComposeWith>): Promise<{ base: string; refiner: string }[]> {
  const given: ComposePrompt[] = [...(ctx.with.prompts ?? [])];
  if (ctx.with.prompts_file !== undefined) {
    const path = must(resolveUserPath(ctx.pipelineDir, ctx.with.prompts_file, 'prompts_file'));
    given.push(...(await readPromptFile(path, 'prompts_file')));
  }
  if (given.length === 0) throw new WorkflowError('no prompts: give `prompts` or `prompts_file`');
  return given.map((p) =>
    typeof p === 'string' ? { base: p, refiner: p } : { base: p.base, refiner: p.refiner ?? p.base },
  );
}

async function encodeAll(
  model: OpenedModelFolder,
  texts: readonly string[],
): Promise<Map<string, TextEmbedding>> {
  const distinct = [...new Set(texts)];
  const e = await encodePrompts(model, distinct);
  const per = e.sequenceLength * e.hiddenSize;
  return new Map(
    distinct.map((t, i) => [
      t,
      {
        hidden: e.encoderHiddenStates.slice(i * per, (i + 1) * per),
        tokens: e.sequenceLength,
        width: e.hiddenSize,
        pooled: e.textEmbeds.slice(i * e.pooledSize, (i + 1) * e.pooledSize),
      },
    ]),
  );
}

/** The VAE's spatial factor, read from an encode of a small blank image (exports do not all state it). */
async function vaeFactor(model: OpenedModelFolder): Promise<number> {
  const { encodeImages } = await import('../../../models/optimum/index.js');
  const probe = await encodeImages(model, { data: new Float32Array(3 * 64 * 64), shape: [1, 3, 64, 64] });
  return 64 / probe.shape[2];
}

interface Run {
  readonly prompt: number;
  readonly seed: number;
  latents: Float32Array;
  baseOnly?: Float32Array;
  /** The base's sampler, which the refiner continues under Wan's hand-off. */
  scheduler?: Scheduler;
}

type Settings = WithDefaults<ComposeWith, typeof COMPOSE_DEFAULTS>;

/** Everything sampling needs once the model folder is open: schedule, hand-off, latent shape, prompts. */
interface Sampling {
  readonly w: Settings;
  readonly model: OpenedModelFolder;
  readonly makeScheduler: () => Scheduler;
  readonly hand: ComposePlan;
  /** The sampler actually used (flow_euler by default with flow matching). */
  readonly kind: SchedulerKind;
  readonly shape: readonly [number, number, number, number];
  readonly prompts: readonly { base: string; refiner: string }[];
  readonly texts: Map<string, TextEmbedding>;
  readonly negative: TextEmbedding | undefined;
  readonly runs: Run[];
  readonly tick: (what: string) => void;
}

export async function runCompose(
  ctx: StepContext<ComposeWith>,
  options: ComposeOptions = {},
): Promise<StepResult> {
  const w = withDefaults(ctx.with, COMPOSE_DEFAULTS);
  const started = Date.now();
  return ExpertSession.run(
    ctx,
    w.device,
    options.sessions,
    async (session) => {
      const sampling = await prepareSampling(ctx, session, w);
      const { hand, prompts } = sampling;
      await sampleRuns(ctx, session, sampling);
      const images = imageList(sampling);
      await session.release();
      const index: ComposeIndex = {
        scheduler: sampling.kind,
        steps: w.steps,
        ...hand.record,
        cutoff: hand.cutoff,
        base_steps: hand.stage1.length,
        refiner_steps: hand.stage2.length,
        width: w.width,
        height: w.height,
        negative_prompt: w.negative_prompt,
        images,
      };
      await writeFile(join(ctx.outDir, OUTPUTS.index), JSON.stringify(index, null, 2) + '\n');
      return {
        summary: {
          images: images.length,
          prompts: prompts.length,
          seeds: w.seeds.length,
          scheduler: sampling.kind,
          base_steps: hand.stage1.length,
          refiner_steps: hand.stage2.length,
          ...session.unetSummary,
          seconds: Math.round((Date.now() - started) / 100) / 10,
        },
        metrics: { images: images.length, seconds: (Date.now() - started) / 1000 },
      };
    },
    LANES,
  );
}

/** Opens the model folder, plans the hand-off, checks the size against the VAE and encodes the prompts. */
async function prepareSampling(
  ctx: StepContext<ComposeWith>,
  session: ExpertSession,
  w: Settings,
): Promise<Sampling> {
  const modelDir = session.path(w.model, 'model');
  const prompts = await promptList(ctx);
  const opened = await openModelFolder(modelDir, session.pool.factory);
  if (!opened.ok) throw new WorkflowError(opened.error.message);
  // Checking the folder opened every model (a folder's own UNet too): let them go before any work.
  await session.release();
  const model = opened.value;
  // Flow settings and the sampler from what the pipeline wrote: a defaulted split or scheduler is no setting.
  const flow = must(resolveFlow(ctx.with));
  const kind: SchedulerKind = ctx.with.scheduler ?? (flow ? 'flow_euler' : w.scheduler);
  const hand = composePlan(ctx.with, kind, w.steps, w.split, flow, model.folder.schedulerConfig);
  const makeScheduler = hand.makeScheduler;
  ctx.log.info(hand.describe);

  const factor = await vaeFactor(model);
  if (w.width % factor !== 0 || w.height % factor !== 0) {
    throw new WorkflowError(
      `width and height must be multiples of the VAE's factor ${factor}, got ${w.width}×${w.height}`,
    );
  }
  const channels = model.signature.vae.latentChannels;
  const shape = [1, channels, w.height / factor, w.width / factor] as const;
  const texts = await encodeAll(
    model,
    prompts.flatMap((p) => [p.base, p.refiner]),
  );
  const first = texts.values().next().value as TextEmbedding;
  const negative =
    w.negative_prompt === '' && model.folder.forceZerosForEmptyPrompt
      ? zeroText(first.tokens, first.width, first.pooled.length)
      : (await encodeAll(model, [w.negative_prompt])).get(w.negative_prompt);
  await session.release();

  const runs: Run[] = prompts.flatMap((_, p) =>
    w.seeds.map((seed) => ({ prompt: p, seed, latents: new Float32Array(0) })),
  );
  const total = runs.length * (w.base_only ? 3 : 2);
  let done = 0;
  const tick = (what: string) => ctx.progress({ done: ++done, total, message: what });
  return { w, model, makeScheduler, hand, kind, shape, prompts, texts, negative, runs, tick };
}

/** One expert's stage settings for a prompt: its UNet, conditioning and guidance. */
function stageOf(sampling: Sampling, role: ExpertRole, unet: UnetRunner, text: string) {
  const { w, texts, negative } = sampling;
  const guidanceScale = stageValue(w.guidance_scale, role, COMPOSE_DEFAULTS.guidance_scale);
  const guidanceRescale = stageValue(w.guidance_rescale, role, COMPOSE_DEFAULTS.guidance_rescale);
  const conditioning = stageConditioning(
    texts.get(text) as TextEmbedding,
    usesGuidance(guidanceScale) ? negative : undefined,
    unet.timeIdCount,
    [w.height, w.width],
  );
  return { unet, conditioning, guidanceScale, guidanceRescale };
}

/**
 * Both stages and the PNGs for every run, on the step's lanes at once: lane k takes runs k, k + lanes, …,
 * through the base, the refiner and the VAE decoder, on sessions of its own. Each run's numbers are those
 * of a single lane.
 */
async function sampleRuns(ctx: StepContext<ComposeWith>, session: ExpertSession, sampling: Sampling) {
  const { w } = sampling;
  const outDir = join(ctx.outDir, OUTPUTS.images);
  for (const stage of ['composed', 'base'] as const) await mkdir(join(outDir, stage), { recursive: true });
  const experts = {
    base: await session.expert('base', w.base),
    refiner: await session.expert('refiner', w.refiner),
  };
  const lanes = Math.min(session.lanes, sampling.runs.length);
  if (lanes > 1) ctx.log.info(`sampling ${sampling.runs.length} runs on ${lanes} threads at once`);
  const pools = [session.pool, ...Array.from({ length: lanes - 1 }, () => session.lane())];
  const settled = await Promise.allSettled(
    pools.map(async (pool, k) => {
      const runs = sampling.runs.filter((_, i) => i % lanes === k);
      await sampleBase(ctx, await UnetRunner.open(pool.factory, experts.base), runs, sampling);
      await pool.releaseAll();
      await sampleRefiner(ctx, await UnetRunner.open(pool.factory, experts.refiner), runs, sampling);
      await pool.releaseAll();
      await writeImages({ ...sampling.model, sessions: pool.factory }, runs, sampling.shape, outDir);
      await pool.releaseAll();
    }),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** The base from noise to the hand-off (and, with base_only, over the whole schedule) for `runs`. */
async function sampleBase(ctx: StepContext<ComposeWith>, unet: UnetRunner, runs: Run[], sampling: Sampling) {
  const { w, hand, shape, makeScheduler, prompts, tick } = sampling;
  for (const run of runs) {
    const stage = stageOf(sampling, 'base', unet, (prompts[run.prompt] as { base: string }).base);
    const s = makeScheduler();
    s.setTimesteps(w.steps);
    run.scheduler = s;
    const init = initialNoise(run.seed, shape[1] * shape[2] * shape[3], s.initNoiseSigma);
    const from = { seed: run.seed, firstIndex: 0 };
    run.latents = await denoise(s, hand.stage1, init, shape, stage, from, ctx.signal);
    tick(`base: prompt ${run.prompt + 1}, seed ${run.seed}`);
    if (!w.base_only) continue;
    const full = makeScheduler();
    full.setTimesteps(w.steps);
    run.baseOnly = await denoise(full, full.timesteps, init, shape, stage, from, ctx.signal);
    tick(`base only: prompt ${run.prompt + 1}, seed ${run.seed}`);
  }
}

/** The refiner from the hand-off to the end, continuing each run's latents. */
async function sampleRefiner(
  ctx: StepContext<ComposeWith>,
  unet: UnetRunner,
  runs: Run[],
  sampling: Sampling,
) {
  const { w, hand, shape, makeScheduler, prompts, tick } = sampling;
  for (const run of runs) {
    // Wan's hand-off continues the base's sampler; the SDXL refiner starts a fresh one part-way.
    let s = hand.continueScheduler ? run.scheduler : undefined;
    if (s === undefined) {
      s = makeScheduler();
      s.setTimesteps(w.steps);
      s.setBeginIndex(hand.beginIndex);
    }
    const stage = stageOf(sampling, 'refiner', unet, (prompts[run.prompt] as { refiner: string }).refiner);
    const from = { seed: run.seed, firstIndex: hand.beginIndex };
    run.latents = await denoise(s, hand.stage2, run.latents, shape, stage, from, ctx.signal);
    tick(`refiner: prompt ${run.prompt + 1}, seed ${run.seed}`);
  }
}

/** Decodes `runs`' latents (composed, and base only) with `model`'s VAE and writes their PNGs. */
async function writeImages(
  model: OpenedModelFolder,
  runs: readonly Run[],
  shape: Sampling['shape'],
  outDir: string,
): Promise<void> {
  for (const run of runs) {
    const outputs: ['composed' | 'base', Float32Array][] = [['composed', run.latents]];
    if (run.baseOnly) outputs.push(['base', run.baseOnly]);
    for (const [stage, latents] of outputs) {
      const decoded = await decodeLatents(model, { data: latents, shape });
      const [, , h, wd] = decoded.shape;
      const [image] = nchwToRgb(decoded.data, 1, h, wd, 'signed');
      await writePng(join(outDir, imageFile(stage, run)), image as NonNullable<typeof image>);
    }
  }
}

const imageFile = (stage: 'composed' | 'base', run: Run): string =>
  `${stage}/p${run.prompt}-s${run.seed}.png`;

/** The index's image list: per run in order, the composed image, then the base-only one. */
function imageList(sampling: Sampling): ComposedImage[] {
  return sampling.runs.flatMap((run) => {
    const prompt = sampling.prompts[run.prompt] as { base: string; refiner: string };
    const stages: ('composed' | 'base')[] = run.baseOnly ? ['composed', 'base'] : ['composed'];
    return stages.map((stage) => ({
      prompt: prompt.base,
      prompt_refiner: prompt.refiner,
      seed: run.seed,
      stage,
      file: imageFile(stage, run),
    }));
  });
}

export const composeInferenceStep: StepDefinition<ComposeWith> = {
  name: 'compose.inference',
  version: '1',
  description:
    'Two-stage sampling: the base expert to the hand-off, the refiner from there; PNGs and index.json',
  withSchema: composeSchema,
  outputs: () => OUTPUTS,
  run: (ctx) => runCompose(ctx),
};
