// train.expert with `backend: simpletuner`: the node's `with` block becomes a SimpleTuner configuration for
// this expert, SimpleTuner trains, and its results land where the built-in trainer puts its own (the
// `unet` diffusers folder, metrics.jsonl, training.json), so compose.inference, evaluate and the report
// read either backend's experts alike.
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JsonValue } from '../../../pipeline/types.js';
import type { StepContext, StepResult } from '../../../contract/step.js';
import { resolveUserPath } from '../../dataset/paths.js';
import type { TrainExpertWith } from '../schema.js';
import { mixedPrecisionOf, optimisationSettings, TRAIN_DEFAULTS } from '../schema.js';
import type { ExpertValidation } from '../schema.js';
import { buildSimpleTunerFiles } from './config.js';
import { acquireCacheFill } from './cache-lock.js';
import { prepareImages, sharedCaches } from './data.js';
import type { PreparedData } from './data.js';
import { launchArgs, multiNodeCommand, slurmLaunch } from './launch.js';
import type { LaunchPlan } from './launch.js';
import { DEFAULT_COMMAND, runSimpleTuner } from './runner.js';
import type { SimpleTunerOutcome } from './runner.js';
import type { SimpleTunerSpec } from './spec.js';
import { lastValidationLoss, readValidationLosses } from './validation-loss.js';
import type { TrainingRecord } from '../../../train/expert/record.js';
import { timestepBiasRecord } from '../../../train/expert/record.js';

/** What this backend writes into the node's output directory. */
export const SIMPLETUNER_OUTPUTS = {
  unet: 'unet',
  metrics: 'metrics.jsonl',
  config: 'training.json',
  /** SimpleTuner's validation images ({output_dir}/validation_images), possibly none. */
  validation: 'validation',
} as const;

/** The work folder of this expert inside the node's checkpoint directory (kept across attempts). */
const WORK = 'simpletuner';

export class SimpleTunerBackendError extends Error {
  override readonly name = 'SimpleTunerBackendError';
}

/**
 * `pretrained_model` (or `model`) as SimpleTuner should see it: an existing folder as an absolute path,
 * anything else as a Hugging Face hub id.
 */
export function pretrainedModel(w: TrainExpertWith, pipelineDir: string): string {
  const given = w.pretrained_model ?? w.model;
  const asPath = resolveUserPath(pipelineDir, given, 'pretrained_model');
  if (asPath.ok && existsSync(asPath.value)) return asPath.value;
  return given;
}

/**
 * An Optimum export (ONNX text encoders) cannot be what SimpleTuner loads; say so before a GPU job starts
 * and fails minutes later inside diffusers.
 */
function checkLoadable(model: string, w: TrainExpertWith): void {
  const encoder = join(model, 'text_encoder');
  if (!existsSync(encoder)) return;
  const files = readdirSync(encoder);
  const onnxOnly =
    files.some((f) => f.endsWith('.onnx')) && !files.some((f) => /\.(safetensors|bin)$/.test(f));
  if (!onnxOnly) return;
  const field = w.pretrained_model === undefined ? 'model' : 'pretrained_model';
  throw new SimpleTunerBackendError(
    `${field} ${model} is an ONNX export; SimpleTuner loads a diffusers model: set pretrained_model to a diffusers folder or hub id (segmind/SSD-1B)`,
  );
}

/** The SimpleTuner spec of one expert; the caller passes where the data and caches are. */
export function simpleTunerSpec(
  w: TrainExpertWith,
  paths: Pick<
    SimpleTunerSpec,
    'model' | 'dataDir' | 'outputDir' | 'configDir' | 'cacheDir' | 'cacheDirVae' | 'evalDataDir'
  >,
): SimpleTunerSpec {
  return {
    role: w.role,
    strength: w.strength ?? TRAIN_DEFAULTS.strength,
    modelFamily: 'sdxl',
    ...paths,
    resolution: w.resolution ?? TRAIN_DEFAULTS.resolution,
    ...(w.prediction_type !== undefined ? { predictionType: w.prediction_type } : {}),
    ...(w.zero_snr !== undefined ? { zeroSnr: w.zero_snr } : {}),
    ...(w.timestep_spacing !== undefined ? { timestepSpacing: w.timestep_spacing } : {}),
    ...optimisationSettings(w),
    mixedPrecision: mixedPrecisionOf(w),
    gradientCheckpointing: w.gradient_checkpointing ?? false,
    ...(w.validation !== undefined ? { validation: validationSpec(w.validation) } : {}),
    ...(w.validation_using_datasets === true ? { validationUsingDatasets: true } : {}),
    ...(w.simpletuner_command !== undefined ? { command: w.simpletuner_command } : {}),
  };
}

function validationSpec(v: ExpertValidation): NonNullable<SimpleTunerSpec['validation']> {
  const prompts = typeof v.prompts === 'string' ? [v.prompts] : v.prompts;
  return {
    ...(v.every !== undefined ? { every: v.every } : {}),
    ...(prompts !== undefined ? { prompts } : {}),
    ...(v.negative_prompt !== undefined ? { negativePrompt: v.negative_prompt } : {}),
    ...(v.guidance_scale !== undefined ? { guidanceScale: v.guidance_scale } : {}),
    ...(v.guidance_rescale !== undefined ? { guidanceRescale: v.guidance_rescale } : {}),
    ...(v.steps !== undefined ? { steps: v.steps } : {}),
    ...(v.seed !== undefined ? { seed: v.seed } : {}),
    ...(v.loss_every !== undefined ? { lossEvery: v.loss_every } : {}),
    ...(v.max_items !== undefined ? { lossImages: v.max_items } : {}),
    ...(v.eval_timesteps !== undefined ? { lossTimesteps: v.eval_timesteps } : {}),
  };
}

export async function runSimpleTunerBackend(ctx: StepContext<TrainExpertWith>): Promise<StepResult> {
  const { images, model } = checkInputs(ctx);
  const { spec, data, work } = await prepareRun(ctx, images, model);
  const run = await train(ctx, spec, work);
  await copyFile(run.metricsFile, join(ctx.outDir, SIMPLETUNER_OUTPUTS.metrics));
  const validationImages = await collectValidation(
    spec.outputDir,
    join(ctx.outDir, SIMPLETUNER_OUTPUTS.validation),
  );
  const { outcome, seconds, launchPlan, filler } = run;
  const validationLosses = readValidationLosses(spec.outputDir);
  const files = buildSimpleTunerFiles(spec);
  const steps = outcome.last?.step ?? outcome.checkpoints.at(-1)?.step ?? spec.steps;
  const done = steps - (outcome.resumedFrom ?? 0);
  const training: TrainingRecord = {
    ...describe(spec),
    resumed_from: outcome.resumedFrom ?? null,
    elapsed_s: Number(seconds.toFixed(1)),
    steps_per_s: seconds > 0 && done > 0 ? Number((done / seconds).toFixed(3)) : null,
    ...(validationLosses.length > 0 ? { validation_losses: validationLosses.map((l) => ({ ...l })) } : {}),
    simpletuner: {
      config: files.ok ? files.value.config : null,
      databackend: files.ok ? files.value.databackend : null,
      warnings: outcome.warnings,
      checkpoints: outcome.checkpoints.map((c) => c.step),
      images: data.images,
      validation_images: validationImages,
      processes: launchPlan.gpus,
      machines: launchPlan.nodes,
      filled_caches: filler,
    },
  };
  await writeFile(join(ctx.outDir, SIMPLETUNER_OUTPUTS.config), `${JSON.stringify(training, null, 2)}\n`);
  return stepResult(spec, outcome, steps, training, lastValidationLoss(validationLosses));
}

/** The image folder and the model SimpleTuner loads, refused before a GPU job starts when unusable. */
function checkInputs(ctx: StepContext<TrainExpertWith>): { images: string; model: string } {
  const w = ctx.with;
  if (w.images === undefined) {
    throw new SimpleTunerBackendError(
      'backend simpletuner needs `images`: the dataset.images manifest or an image folder',
    );
  }
  if (w.prediction_type === 'sample') {
    throw new SimpleTunerBackendError(
      'prediction_type sample: SimpleTuner does not implement it (NotImplementedError); use epsilon or v_prediction, or backend: builtin',
    );
  }
  const images = resolveUserPath(ctx.pipelineDir, w.images, 'images');
  if (!images.ok) throw new SimpleTunerBackendError(images.error);
  const model = pretrainedModel(w, ctx.pipelineDir);
  if (model.startsWith('/')) checkLoadable(model, w);
  else
    ctx.log.info(
      `pretrained_model ${model} is not a folder here: SimpleTuner takes it as a Hugging Face hub id`,
    );
  if (w.cache !== undefined) {
    ctx.log.warn(
      'cache: backend simpletuner computes its own caches from `images`; the embeds.cache output is not used',
    );
  }
  return { images: images.value, model };
}

/** The images prepared in the shared folder, and the expert's spec with its caches and work folders. */
async function prepareRun(
  ctx: StepContext<TrainExpertWith>,
  images: string,
  model: string,
): Promise<{ spec: SimpleTunerSpec; data: PreparedData; work: string }> {
  const w = ctx.with;
  const shared = join(ctx.sharedCacheDir, WORK);
  const data = await prepareImages(images, shared);
  if (!data.ok) throw new SimpleTunerBackendError(data.error);
  ctx.log.info(
    `${data.value.images} training images in ${data.value.dataDir}${data.value.reused ? ' (already prepared)' : ''}`,
  );
  const evalData =
    w.validation?.loss_every === undefined ? undefined : await prepareImages(images, shared, 'eval');
  if (evalData !== undefined && !evalData.ok) throw new SimpleTunerBackendError(evalData.error);
  const resolution = w.resolution ?? TRAIN_DEFAULTS.resolution;
  const caches = sharedCaches(shared, model, data.value, resolution);
  const work = join(ctx.checkpointDir, WORK);
  const spec = simpleTunerSpec(w, {
    model,
    dataDir: data.value.dataDir,
    // The checkpoint directory is this node's own (per fingerprint, so per expert): `resume_from_checkpoint
    // =latest` can only ever find this expert's checkpoints, and they survive failed attempts.
    outputDir: join(work, 'output'),
    configDir: join(work, 'config'),
    ...caches,
    ...(evalData?.ok ? { evalDataDir: evalData.value.dataDir } : {}),
  });
  ctx.log.info(`SimpleTuner caches (shared by both experts): ${caches.cacheDir}, ${caches.cacheDirVae}`);
  return { spec, data: data.value, work };
}

interface TrainingRun {
  readonly outcome: SimpleTunerOutcome;
  readonly seconds: number;
  readonly launchPlan: LaunchPlan;
  readonly metricsFile: string;
  /** Whether this expert filled the shared caches (the other one waited). */
  readonly filler: boolean;
}

/**
 * SimpleTuner's run, on one machine or several: the first expert to start fills the shared caches while
 * an expert started beside it waits until training begins.
 */
async function train(
  ctx: StepContext<TrainExpertWith>,
  spec: SimpleTunerSpec,
  work: string,
): Promise<TrainingRun> {
  const fill = await acquireCacheFill(dirname(spec.cacheDir), {
    who: ctx.nodeId,
    signal: ctx.signal,
    onWait: (holder) =>
      ctx.log.info(`waiting for \`${holder}\` to fill the shared SimpleTuner caches before training`),
  });
  if (fill.filler)
    ctx.log.info('filling the shared SimpleTuner caches (an expert started beside this one waits)');
  const launchPlan = slurmLaunch(ctx.env, ctx.gpus.length);
  const started = Date.now();
  const metricsFile = join(work, SIMPLETUNER_OUTPUTS.metrics);
  // Several machines: srun starts SimpleTuner on each, with its rank; one machine: its GPUs as processes.
  const runSpec =
    launchPlan.nodes > 1
      ? { ...spec, command: multiNodeCommand(spec.command ?? DEFAULT_COMMAND, launchPlan) }
      : spec;
  const outcome = await runSimpleTuner(ctx as unknown as StepContext<JsonValue>, runSpec, {
    unetOut: SIMPLETUNER_OUTPUTS.unet,
    metricsFile,
    onTrainingStarted: () => fill.filled(),
    ...(launchPlan.nodes > 1 ? {} : { extraArgs: launchArgs(launchPlan) }),
  }).catch((e: unknown) => {
    fill.release();
    throw new SimpleTunerBackendError(e instanceof Error ? e.message : String(e));
  });
  fill.filled();
  const seconds = (Date.now() - started) / 1000;
  return { outcome, seconds, launchPlan, metricsFile, filler: fill.filler };
}

function stepResult(
  spec: SimpleTunerSpec,
  outcome: SimpleTunerOutcome,
  steps: number,
  training: TrainingRecord,
  validationLoss: number | undefined,
): StepResult {
  return {
    summary: {
      backend: 'simpletuner',
      role: spec.role,
      steps,
      resumed_from: outcome.resumedFrom ?? 0,
      ...(outcome.last?.loss !== undefined ? { final_loss: outcome.last.loss } : {}),
      ...(training.steps_per_s !== null ? { steps_per_s: training.steps_per_s } : {}),
      ...(validationLoss !== undefined ? { validation_loss: validationLoss } : {}),
      warnings: outcome.warnings.length,
    },
    metrics: {
      ...(outcome.last?.loss !== undefined ? { final_loss: outcome.last.loss } : {}),
      ...(training.steps_per_s !== null ? { steps_per_s: training.steps_per_s } : {}),
      ...(validationLoss !== undefined ? { validation_loss: validationLoss } : {}),
    },
  };
}

/** training.json in the built-in trainer's vocabulary, so the report's settings table lines up. */
function describe(spec: SimpleTunerSpec): TrainingRecord {
  const n = 1000;
  const cut = Math.floor(spec.strength * n);
  return {
    backend: 'simpletuner',
    role: spec.role,
    strength: spec.strength,
    timestep_range: spec.role === 'base' ? [cut, n - 1] : [0, cut - 1],
    prediction_type: spec.predictionType ?? null,
    zero_snr: spec.zeroSnr ?? null,
    timestep_spacing: spec.timestepSpacing ?? null,
    learning_rate: spec.learningRate,
    lr_scheduler: spec.lrScheduler ?? 'constant',
    lr_warmup_steps: spec.lrWarmupSteps ?? 0,
    weight_decay: spec.weightDecay ?? null,
    batch_size: spec.batchSize,
    gradient_accumulation: spec.gradientAccumulation,
    gradient_checkpointing: spec.gradientCheckpointing ?? false,
    max_grad_norm: spec.maxGradNorm ?? null,
    grad_clip_method: spec.maxGradNorm === undefined ? null : (spec.gradClipMethod ?? 'norm'),
    mixed_precision: spec.mixedPrecision ?? 'bf16',
    snr_gamma: spec.snrGamma ?? null,
    ...timestepBiasRecord(spec.timestepBias),
    caption_dropout_probability: spec.captionDropout ?? 0,
    ema_decay: spec.emaDecay ?? null,
    steps: spec.steps,
    checkpoint_every: spec.checkpointEvery,
    seed: spec.seed,
    resolution: spec.resolution ?? TRAIN_DEFAULTS.resolution,
    pretrained_model: spec.model,
  };
}

/**
 * SimpleTuner's validation images ({output_dir}/validation_images, named by step and prompt) copied into
 * the node's `validation` output; their names, sorted. The folder exists even when SimpleTuner made none.
 */
async function collectValidation(outputDir: string, to: string): Promise<string[]> {
  const from = join(outputDir, 'validation_images');
  await mkdir(to, { recursive: true });
  if (!existsSync(from)) return [];
  await cp(from, to, { recursive: true });
  const names = await readdir(to, { recursive: true });
  return names.filter((n) => /\.(png|jpe?g|webp)$/i.test(n)).sort();
}
