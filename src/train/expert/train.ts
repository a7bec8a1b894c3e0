/**
 * The built-in expert trainer: batches from the embedding cache, timesteps from the expert's range, the
 * loss and its gradient from one generated ONNX training graph per latent shape, AdamW in TypeScript,
 * checkpoints every K steps, and on a rerun a resume from the latest complete checkpoint that ends with
 * the weights an uninterrupted run ends with.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expertRange, flowBoundary, flowExpertRange, makeNoiseSchedule } from '../../diffusion/index.js';
import type { FlowBatchSettings } from './batch.js';
import type { ProgressUpdate, StepLogger } from '../../contract/step.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { openEmbeddingCache } from './cache.js';
import type { EmbeddingCache } from './cache.js';
import { latestCheckpoint, loadCheckpointOptimizer, loadCheckpointWeights } from './checkpoint.js';
import type { FoundCheckpoint } from './checkpoint.js';
import type { ExpertTrainingConfig } from './config.js';
import { settingsDigest } from './config.js';
import type { TrainingRecord } from './record.js';
import { writeDiffusersUNet, writeUNetOnnx } from './export.js';
import { MetricsLog } from './metrics.js';
import { ShapeTrainers } from './trainers.js';
import { TrainingLoop } from './loop.js';
import { timestepBiasRecord } from './record.js';

export interface TrainIO {
  /** Kept across attempts: checkpoints and the running metrics file. */
  readonly checkpointDir: string;
  /** Where `unet/`, `onnx/`, metrics.jsonl and training.json are written. */
  readonly outDir: string;
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  progress(update: ProgressUpdate): void;
  /**
   * The clock of the step profile, in milliseconds. @default performance.now (wall time); a benchmark
   * alone in its process may pass process CPU time, which a busy machine does not distort.
   */
  readonly clock?: () => number;
}

export interface TrainOutcome {
  readonly steps: number;
  /** The step the run resumed from (0 for a fresh start). */
  readonly resumedFrom: number;
  readonly finalLoss: number;
  /** The loss averaged exponentially over the last steps of this run (β = 0.98), debiased. */
  readonly smoothedLoss: number;
  readonly stepsPerSecond: number;
  readonly timestepMin: number;
  readonly timestepMax: number;
  /** Where the steps' time went. */
  readonly profile: StepProfile;
}

/**
 * Milliseconds per optimizer step, averaged over the steps this run took, by part: onnxruntime's run
 * (forward and backward), the optimizer (norm, clipping, AdamW, EMA), batch assembly (cache reads,
 * timesteps, noise, targets), metrics and progress, checkpoints, and the remainder of the loop.
 */
export interface StepProfile {
  readonly steps: number;
  readonly totalMs: number;
  readonly runMs: number;
  readonly optimizerMs: number;
  readonly batchMs: number;
  readonly metricsMs: number;
  readonly checkpointMs: number;
  readonly otherMs: number;
}

/** Paths of the outputs inside `outDir`. */
export const TRAIN_OUTPUTS = {
  unet: 'unet',
  onnx: 'onnx/model.onnx',
  metrics: 'metrics.jsonl',
  config: 'training.json',
} as const;

const METRICS = 'metrics.jsonl';

export async function trainExpert(
  config: ExpertTrainingConfig,
  io: TrainIO,
): Promise<Result<TrainOutcome, string>> {
  const T = config.noiseSchedule.numTrainTimesteps;
  const range = config.flow ? flowRange(config, T) : expertRange(config.role, config.strength, T);
  if (!range.ok) return err(range.error);
  const flow = config.flow ? flowBatches(config, T) : undefined;
  if (flow !== undefined && !flow.ok) return err(flow.error);
  const schedule = makeNoiseSchedule(config.noiseSchedule);
  const opened = await openEmbeddingCache(config.cacheDir);
  if (!opened.ok) return err(opened.error);
  const cache = opened.value;
  try {
    return await run(config, io, cache, range.value, schedule.alphasCumprod, flow?.value);
  } finally {
    await cache.close();
  }
}

/** The flow-matching batches' settings: the expert's σ side of the boundary, the shift and the density. */
function flowBatches(config: ExpertTrainingConfig, T: number): Result<FlowBatchSettings, string> {
  const flow = config.flow;
  if (flow === undefined) return err('not a flow-matching expert');
  const b = flowBoundary({ boundary: flow.boundary }, T);
  if (!b.ok) return err(b.error);
  const range = flowExpertRange(config.role, b.value, T);
  return ok({ density: flow.density, shift: flow.shift, sigmas: range.sigmas, numTrainTimesteps: T });
}

/** The flow expert's range in (fractional) timesteps, for training.json and the summary. */
function flowRange(config: ExpertTrainingConfig, T: number): Result<{ min: number; max: number }, string> {
  const made = flowBatches(config, T);
  return made.ok ? ok({ min: made.value.sigmas.min * T, max: made.value.sigmas.max * T }) : made;
}

async function resumePoint(config: ExpertTrainingConfig, io: TrainIO): Promise<FoundCheckpoint | undefined> {
  const found = await latestCheckpoint(io.checkpointDir);
  if (found === undefined) return undefined;
  if (found.state.settings !== settingsDigest(config) || found.state.step > config.steps) {
    io.log.warn(`ignoring the checkpoint at step ${found.state.step}: it was made with other settings`);
    return undefined;
  }
  return found;
}

async function run(
  config: ExpertTrainingConfig,
  io: TrainIO,
  cache: EmbeddingCache,
  range: { readonly min: number; readonly max: number },
  alphasCumprod: Float64Array,
  flow: FlowBatchSettings | undefined,
): Promise<Result<TrainOutcome, string>> {
  const found = await resumePoint(config, io);
  let initialWeights: Map<string, Float32Array> | undefined;
  if (found) {
    const w = await loadCheckpointWeights(found.dir);
    if (!w.ok) return err(`cannot read the checkpoint at ${found.dir}: ${w.error}`);
    initialWeights = w.value;
    io.log.info(`resuming from the checkpoint at step ${found.state.step} of ${config.steps}`);
  }
  const trainers = shapeTrainers(config, io, cache, initialWeights);
  const metrics = await MetricsLog.open(join(io.checkpointDir, METRICS), found?.state.metricsBytes ?? 0);
  try {
    const start = found?.state.step ?? 0;
    const data = { cache, range, alphasCumprod, flow };
    const loop = new TrainingLoop(config, io, data, trainers, metrics, found, start);
    for (let step = start; step < config.steps; step++) {
      const done = await loop.step(step);
      if (!done.ok) return done;
    }
    const loopMs = loop.loopMs();
    await metrics.close();

    if (start === config.steps) {
      // Resumed after the last checkpoint was written: the weights come from it; reload them.
      const used = await trainers.use(0);
      if (!used.ok) return err(used.error);
      if (found) {
        const r = await loadCheckpointOptimizer(found.dir, used.value.optimizer, used.value.ema);
        if (!r.ok) return err(r.error);
      }
    }
    const outcome = await writeOutputs(config, io, trainers);
    if (!outcome.ok) return outcome;
    const elapsed = (performance.now() - loop.began) / 1000;
    return ok({
      steps: config.steps,
      resumedFrom: start,
      finalLoss: loop.loss,
      smoothedLoss: loop.smoothedLoss(),
      stepsPerSecond: elapsed > 0 ? (config.steps - start) / elapsed : 0,
      timestepMin: loop.tMin,
      timestepMax: loop.tMax,
      profile: loop.profile(loopMs),
    });
  } finally {
    await metrics.close().catch(() => undefined);
    await trainers.release();
  }
}

/** One trainer per latent shape of the cache, with the run's optimizer, schedule and clipping. */
function shapeTrainers(
  config: ExpertTrainingConfig,
  io: TrainIO,
  cache: EmbeddingCache,
  initialWeights: Map<string, Float32Array> | undefined,
): ShapeTrainers {
  return new ShapeTrainers(
    {
      unetDir: config.unetDir,
      optimizer: { lr: config.learningRate, weightDecay: config.weightDecay },
      schedule: {
        kind: config.lrScheduler,
        lr: config.learningRate,
        warmupSteps: config.lrWarmupSteps,
        totalSteps: config.steps,
      },
      ...(config.maxGradNorm !== undefined ? { maxGradNorm: config.maxGradNorm } : {}),
      ...(config.gradClipMethod !== undefined ? { gradClipMethod: config.gradClipMethod } : {}),
      accumulate: config.gradientAccumulation,
      ...(config.emaDecay !== undefined ? { ema: { decay: config.emaDecay } } : {}),
      threads: config.threads,
      device: config.device,
      ...(io.clock ? { clock: io.clock } : {}),
    },
    cache.groups.map((g) => ({
      batch: config.batchSize,
      latent: g.latentShape,
      tokens: cache.embedShape[0],
      timeIds: cache.timeIdCount,
    })),
    initialWeights,
  );
}

async function writeOutputs(
  config: ExpertTrainingConfig,
  io: TrainIO,
  trainers: ShapeTrainers,
): Promise<Result<void, string>> {
  const trainer = trainers.current();
  // With an EMA, the averaged weights are the result (what diffusers' scripts save).
  const values = trainer.ema ? trainer.ema.shadow : trainer.params.map((p) => p.data);
  const weights = trainer.params.map((p, k) => {
    const shape = trainers.weightShapes.get(p.name);
    if (shape === undefined) throw new Error(`no shape recorded for weight ${p.name}`);
    return { name: p.name, shape, data: values[k] as Float32Array };
  });
  const unetDir = join(io.outDir, TRAIN_OUTPUTS.unet);
  const configText = await readFile(join(config.unetDir, 'config.json'), 'utf8');
  io.progress({ message: 'writing the trained UNet' });
  await writeDiffusersUNet(unetDir, configText, weights);
  const onnx = await writeUNetOnnx(unetDir, join(io.outDir, 'onnx'));
  if (!onnx.ok) return err(`cannot build the trained UNet as ONNX: ${onnx.error}`);
  await copyFile(join(io.checkpointDir, METRICS), join(io.outDir, TRAIN_OUTPUTS.metrics));
  await writeFile(join(io.outDir, TRAIN_OUTPUTS.config), JSON.stringify(describe(config), null, 2) + '\n');
  return ok(undefined);
}

/** training.json: what the run did, in the pipeline's vocabulary (for the report and for people). */
function describe(c: ExpertTrainingConfig): TrainingRecord {
  const T = c.noiseSchedule.numTrainTimesteps;
  const range = c.flow ? flowRange(c, T) : expertRange(c.role, c.strength, T);
  return {
    backend: 'builtin',
    role: c.role,
    // With flow matching the low-noise expert's share is the boundary, so strength records b.
    strength: c.flow ? c.flow.boundary : c.strength,
    objective: c.flow ? 'flow_matching' : 'diffusion',
    ...(c.flow
      ? { boundary: c.flow.boundary, shift: c.flow.shift, timestep_density: { ...c.flow.density } }
      : {}),
    timestep_range: range.ok ? [range.value.min, range.value.max] : null,
    prediction_type: c.flow ? 'flow_prediction' : c.predictionType,
    zero_snr: c.flow ? null : c.noiseSchedule.rescaleBetasZeroSnr,
    timestep_spacing: c.timestepSpacing,
    noise_schedule: {
      beta_schedule: c.noiseSchedule.betaSchedule,
      beta_start: c.noiseSchedule.betaStart,
      beta_end: c.noiseSchedule.betaEnd,
      num_train_timesteps: c.noiseSchedule.numTrainTimesteps,
    },
    learning_rate: c.learningRate,
    lr_scheduler: c.lrScheduler,
    lr_warmup_steps: c.lrWarmupSteps,
    weight_decay: c.weightDecay,
    batch_size: c.batchSize,
    gradient_accumulation: c.gradientAccumulation,
    max_grad_norm: c.maxGradNorm ?? null,
    grad_clip_method: c.maxGradNorm === undefined ? null : (c.gradClipMethod ?? 'norm'),
    mixed_precision: 'no',
    snr_gamma: c.snrGamma ?? null,
    ...timestepBiasRecord(c.timestepBias),
    caption_dropout_probability: c.captionDropout,
    ema_decay: c.emaDecay ?? null,
    steps: c.steps,
    checkpoint_every: c.checkpointEvery,
    seed: c.seed,
    device: c.device,
  };
}
