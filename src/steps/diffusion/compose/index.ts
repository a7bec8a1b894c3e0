/**
 * `compose.inference`: the two-stage sampler. The base expert denoises from noise down to the hand-off
 * (split = 1 − strength), the refiner finishes (diffusers' denoising_end / denoising_start, from the
 * numerics module), and the VAE decodes. Optionally the base also runs the whole schedule alone, for the
 * report's comparison. One model is loaded at a time: text encoders, base, refiner, VAE decoder.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import { splitTimesteps } from '../../../diffusion/index.js';
import type { SchedulerKind } from '../../../diffusion/index.js';
import { decodeLatents, encodePrompts, openModelFolder } from '../../../models/optimum/index.js';
import type { OpenedModelFolder, SessionFactory } from '../../../models/optimum/index.js';
import { nchwToRgb, writePng } from '../../../imaging/index.js';
import { resolveUserPath } from '../../dataset/paths.js';
import { stageConditioning, zeroText } from '../../../workflow/conditioning.js';
import type { TextEmbedding } from '../../../workflow/conditioning.js';
import { seededNormal } from '../../../workflow/normal.js';
import { denoise, usesGuidance } from '../../../workflow/sample.js';
import { schedulerConfig, schedulerMaker } from '../../../workflow/scheduler-config.js';
import { sessionPool } from '../../../workflow/session-pool.js';
import { deviceSessions, must, WorkflowError } from '../../../workflow/sessions.js';
import { DigestMemo } from '../../../workflow/digest.js';
import { prepareExpert, UnetRunner } from '../../../workflow/unet.js';
import type { ExpertUnet } from '../../../workflow/unet.js';
import { composeSchema } from './schema.js';
import type { ComposePrompt, ComposeWith, PerStage } from './schema.js';

export type { ComposeWith } from './schema.js';

const OUTPUTS = { images: 'images', index: 'index.json' } as const;

export interface ComposeOptions {
  readonly sessions?: SessionFactory;
}

/** One image of the index. */
export interface ComposedImage {
  readonly prompt: string;
  readonly prompt_refiner: string;
  readonly seed: number;
  readonly stage: 'composed' | 'base';
  /** Relative to the images output. */
  readonly file: string;
}

const stageValue = (v: PerStage<number> | undefined, stage: 'base' | 'refiner', dflt: number): number =>
  typeof v === 'number' ? v : (v?.[stage] ?? dflt);

async function promptList(ctx: StepContext<ComposeWith>): Promise<{ base: string; refiner: string }[]> {
  const given: ComposePrompt[] = [...(ctx.with.prompts ?? [])];
  if (ctx.with.prompts_file !== undefined) {
    const path = must(resolveUserPath(ctx.pipelineDir, ctx.with.prompts_file, 'prompts_file'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new WorkflowError(`prompts_file ${path}: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
      throw new WorkflowError(`prompts_file ${path}: expected a JSON list of strings`);
    }
    given.push(...(parsed as string[]));
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
}

export async function runCompose(
  ctx: StepContext<ComposeWith>,
  options: ComposeOptions = {},
): Promise<StepResult> {
  const w = ctx.with;
  const started = Date.now();
  const modelDir = must(resolveUserPath(ctx.pipelineDir, w.model, 'model'));
  const kind: SchedulerKind = w.scheduler ?? 'unipc';
  const steps = w.steps ?? 40;
  const split = w.split ?? 0.65;
  const width = w.width ?? 64;
  const height = w.height ?? 64;
  const seeds = w.seeds ?? [0];
  const baseOnly = w.base_only ?? true;
  const negativePrompt = w.negative_prompt ?? '';
  const prompts = await promptList(ctx);
  // A diffusers expert is converted to ONNX once; the summary says whether this run converted or reused.
  const unets = { converted: 0, reused: 0 };
  const conversions = {
    dir: ctx.sharedCacheDir,
    memo: new DigestMemo(join(ctx.sharedCacheDir, 'digests.json')),
    counts: unets,
  };
  const open = options.sessions ?? must(deviceSessions(w.device ?? 'cpu', ctx.resources.cpu, ctx.gpus));
  const pool = sessionPool(open);
  try {
    const opened = await openModelFolder(modelDir, pool.factory);
    if (!opened.ok) throw new WorkflowError(opened.error.message);
    // Checking the folder opened every model (a folder's own UNet too): let them go before any work.
    await pool.releaseAll();
    const model = opened.value;
    const makeScheduler = must(schedulerMaker(kind, schedulerConfig(model.folder.schedulerConfig, w)));
    const probe = makeScheduler();
    probe.setTimesteps(steps);
    const plan = splitTimesteps(probe.timesteps, split, {
      numTrainTimesteps: probe.config.num_train_timesteps,
      order: probe.order,
    });
    if (!plan.ok) throw new WorkflowError(plan.error);
    const hand = plan.value;
    ctx.log.info(
      `${kind}, ${steps} steps, split ${split}: base ${hand.stage1.length} steps (t ≥ ${hand.cutoff}), refiner ${hand.stage2.length}`,
    );

    const factor = await vaeFactor(model);
    if (width % factor !== 0 || height % factor !== 0) {
      throw new WorkflowError(
        `width and height must be multiples of the VAE's factor ${factor}, got ${width}×${height}`,
      );
    }
    const channels = model.signature.vae.latentChannels;
    const shape = [1, channels, height / factor, width / factor] as const;
    const texts = await encodeAll(
      model,
      prompts.flatMap((p) => [p.base, p.refiner]),
    );
    const first = texts.values().next().value as TextEmbedding;
    const negative =
      negativePrompt === '' && model.folder.forceZerosForEmptyPrompt
        ? zeroText(first.tokens, first.width, first.pooled.length)
        : (await encodeAll(model, [negativePrompt])).get(negativePrompt);
    await pool.releaseAll();

    const runs: Run[] = prompts.flatMap((_, p) =>
      seeds.map((seed) => ({ prompt: p, seed, latents: new Float32Array(0) })),
    );
    const total = runs.length * (baseOnly ? 3 : 2);
    let done = 0;
    const tick = (what: string) => ctx.progress({ done: ++done, total, message: what });

    const stageRun = async (
      role: 'base' | 'refiner',
      expert: ExpertUnet,
      each: (unet: UnetRunner, run: Run, gs: number, gr: number) => Promise<void>,
    ) => {
      const unet = await UnetRunner.open(pool.factory, expert);
      const gs = stageValue(w.guidance_scale, role, 5);
      const gr = stageValue(w.guidance_rescale, role, 0);
      for (const run of runs) await each(unet, run, gs, gr);
      await pool.releaseAll();
    };
    const conditioning = (unet: UnetRunner, text: string, gs: number) =>
      stageConditioning(
        texts.get(text) as TextEmbedding,
        usesGuidance(gs) ? negative : undefined,
        unet.timeIdCount,
        [height, width],
      );

    const baseExpert = must(
      await prepareExpert(
        must(resolveUserPath(ctx.pipelineDir, w.base, 'base')),
        join(ctx.tmpDir, 'base'),
        conversions,
      ),
    );
    await stageRun('base', baseExpert, async (unet, run, gs, gr) => {
      const prompt = prompts[run.prompt] as { base: string; refiner: string };
      const stage = {
        unet,
        conditioning: conditioning(unet, prompt.base, gs),
        guidanceScale: gs,
        guidanceRescale: gr,
      };
      const s = makeScheduler();
      s.setTimesteps(steps);
      const init = seededNormal(run.seed, shape[1] * shape[2] * shape[3]).map((v) => v * s.initNoiseSigma);
      run.latents = await denoise(
        s,
        hand.stage1,
        init,
        shape,
        stage,
        { seed: run.seed, firstIndex: 0 },
        ctx.signal,
      );
      tick(`base: prompt ${run.prompt + 1}, seed ${run.seed}`);
      if (!baseOnly) return;
      const full = makeScheduler();
      full.setTimesteps(steps);
      run.baseOnly = await denoise(
        full,
        full.timesteps,
        init,
        shape,
        stage,
        { seed: run.seed, firstIndex: 0 },
        ctx.signal,
      );
      tick(`base only: prompt ${run.prompt + 1}, seed ${run.seed}`);
    });
    const refinerExpert = must(
      await prepareExpert(
        must(resolveUserPath(ctx.pipelineDir, w.refiner, 'refiner')),
        join(ctx.tmpDir, 'refiner'),
        conversions,
      ),
    );
    await stageRun('refiner', refinerExpert, async (unet, run, gs, gr) => {
      const prompt = prompts[run.prompt] as { base: string; refiner: string };
      const s = makeScheduler();
      s.setTimesteps(steps);
      s.setBeginIndex(hand.beginIndex);
      const stage = {
        unet,
        conditioning: conditioning(unet, prompt.refiner, gs),
        guidanceScale: gs,
        guidanceRescale: gr,
      };
      run.latents = await denoise(
        s,
        hand.stage2,
        run.latents,
        shape,
        stage,
        { seed: run.seed, firstIndex: hand.beginIndex },
        ctx.signal,
      );
      tick(`refiner: prompt ${run.prompt + 1}, seed ${run.seed}`);
    });

    const images: ComposedImage[] = [];
    const outDir = join(ctx.outDir, OUTPUTS.images);
    for (const stage of ['composed', 'base'] as const) await mkdir(join(outDir, stage), { recursive: true });
    for (const run of runs) {
      const prompt = prompts[run.prompt] as { base: string; refiner: string };
      const outputs: ['composed' | 'base', Float32Array][] = [['composed', run.latents]];
      if (run.baseOnly) outputs.push(['base', run.baseOnly]);
      for (const [stage, latents] of outputs) {
        const decoded = await decodeLatents(model, { data: latents, shape });
        const [, , h, wd] = decoded.shape;
        const [image] = nchwToRgb(decoded.data, 1, h, wd, 'signed');
        const file = `${stage}/p${run.prompt}-s${run.seed}.png`;
        await writePng(join(outDir, file), image as NonNullable<typeof image>);
        images.push({ prompt: prompt.base, prompt_refiner: prompt.refiner, seed: run.seed, stage, file });
      }
    }
    await pool.releaseAll();
    const index = {
      scheduler: kind,
      steps,
      split,
      cutoff: hand.cutoff,
      base_steps: hand.stage1.length,
      refiner_steps: hand.stage2.length,
      width,
      height,
      negative_prompt: negativePrompt,
      images,
    };
    await writeFile(join(ctx.outDir, OUTPUTS.index), JSON.stringify(index, null, 2) + '\n');
    return {
      summary: {
        images: images.length,
        prompts: prompts.length,
        seeds: seeds.length,
        scheduler: kind,
        base_steps: hand.stage1.length,
        refiner_steps: hand.stage2.length,
        unets_converted: unets.converted,
        unets_reused: unets.reused,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      },
    };
  } finally {
    await pool.releaseAll();
  }
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
