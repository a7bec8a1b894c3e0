/**
 * The optimizer steps of one expert's training run: each step takes the trainer of its batch's latent
 * shape, runs the micro-batches, records the metrics and progress, and writes a checkpoint when one is
 * due. The loop keeps what the run's outcome reports: the last and the smoothed loss, the timesteps seen,
 * and where the time went.
 */
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { Trainer, TrainerTimes, StepResult } from '../optim/index.js';
import { timestepBiasWeights } from '../../diffusion/index.js';
import { BatchAssembler } from './batch.js';
import type { FlowBatchSettings } from './batch.js';
import type { EmbeddingCache } from './cache.js';
import { loadCheckpointOptimizer, saveCheckpoint } from './checkpoint.js';
import type { CheckpointState, FoundCheckpoint } from './checkpoint.js';
import type { ExpertTrainingConfig } from './config.js';
import { settingsDigest } from './config.js';
import type { MetricsLog } from './metrics.js';
import { BatchOrder } from './order.js';
import type { PlannedBatch } from './order.js';
import type { ShapeTrainers } from './trainers.js';
import type { StepProfile, TrainIO } from './train.js';

/** The loss is smoothed over the last steps with this β (roughly the last 50 steps). */
const SMOOTHING = 0.98;

/** Where the samples come from: the cache, the expert's timestep range and the noise schedule. */
export interface LoopData {
  readonly cache: EmbeddingCache;
  readonly range: { readonly min: number; readonly max: number };
  readonly alphasCumprod: Float64Array;
  readonly flow: FlowBatchSettings | undefined;
}

/** One optimizer step's micro-batches: the mean loss, the timesteps drawn, the trainer's last answer. */
interface StepRun {
  readonly loss: number;
  readonly timestepSum: number;
  readonly timestepMin: number;
  readonly timestepMax: number;
  readonly last: StepResult | undefined;
}

export class TrainingLoop {
  /** The loss of the last step. */
  loss = Number.NaN;
  tMin = Number.POSITIVE_INFINITY;
  tMax = Number.NEGATIVE_INFINITY;
  readonly began = performance.now();
  private readonly order: BatchOrder;
  private readonly assemblers = new Map<number, BatchAssembler>();
  private readonly settings: string;
  // The loss smoothed over the last steps (an exponential average, debiased): what sweeps compare,
  // since a single step's loss is noisy.
  private readonly smooth = { average: 0, weight: 0 };
  private optimizerLoaded: boolean;
  private readonly spent = { batch: 0, metrics: 0, checkpoint: 0 };
  private readonly now: () => number;
  private readonly trainerTimes0 = new Map<TrainerTimes, { runMs: number; optimizerMs: number }>();
  private loopStart = Number.NaN;

  constructor(
    private readonly config: ExpertTrainingConfig,
    private readonly io: TrainIO,
    private readonly data: LoopData,
    private readonly trainers: ShapeTrainers,
    private readonly metrics: MetricsLog,
    /** The checkpoint the run resumes from. */
    private readonly found: FoundCheckpoint | undefined,
    /** The first step this run takes. */
    readonly start: number,
  ) {
    this.order = new BatchOrder(
      data.cache.groups.map((g) => g.items.length),
      config.batchSize * config.gradientAccumulation,
      config.seed,
    );
    this.settings = settingsDigest(config);
    this.optimizerLoaded = found === undefined;
    this.now = io.clock ?? (() => performance.now());
  }

  /** Optimizer step `step` (0-based): its micro-batches, metrics and progress, and a checkpoint when due. */
  async step(step: number): Promise<Result<void, string>> {
    const { config, io } = this;
    if (io.signal.aborted) throw io.signal.reason instanceof Error ? io.signal.reason : new Error('aborted');
    const planned = this.order.at(step);
    const trainer = await this.trainerFor(planned);
    if (!trainer.ok) return trainer;
    const run = await this.microBatches(trainer.value, planned, step);
    if (run.last?.applied !== true)
      throw new Error(
        `step ${step + 1}: the optimizer did not step after ${config.gradientAccumulation} micro-batches`,
      );
    this.loss = run.loss;
    if (!Number.isFinite(run.loss)) {
      return err(
        `the loss became ${run.loss} at step ${step + 1}; try a lower learning_rate or set max_grad_norm`,
      );
    }
    this.smooth.average = SMOOTHING * this.smooth.average + (1 - SMOOTHING) * run.loss;
    this.smooth.weight = SMOOTHING * this.smooth.weight + (1 - SMOOTHING);
    this.tMin = Math.min(this.tMin, run.timestepMin);
    this.tMax = Math.max(this.tMax, run.timestepMax);
    const c0 = await this.record(step, run, run.last);
    if ((step + 1) % config.checkpointEvery === 0 || step + 1 === config.steps) {
      await this.checkpoint(step);
      this.spent.checkpoint += this.now() - c0;
    }
    return ok(undefined);
  }

  /** The trainer of the batch's latent shape, with the checkpoint's optimizer state on the first step. */
  private async trainerFor(planned: PlannedBatch): Promise<Result<Trainer, string>> {
    const used = await this.trainers.use(planned.group);
    if (!used.ok) return err(used.error);
    const trainer = used.value;
    if (!this.trainerTimes0.has(trainer.times)) this.trainerTimes0.set(trainer.times, { ...trainer.times });
    if (Number.isNaN(this.loopStart)) this.loopStart = this.now();
    if (!this.optimizerLoaded && this.found) {
      const r = await loadCheckpointOptimizer(this.found.dir, trainer.optimizer, trainer.ema);
      if (!r.ok) return err(`cannot restore the optimizer from ${this.found.dir}: ${r.error}`);
      this.optimizerLoaded = true;
    }
    return ok(trainer);
  }

  /** The batch assembler of a latent-shape group, made on first use. */
  private assembler(group: number): BatchAssembler {
    const { config, data } = this;
    let assembler = this.assemblers.get(group);
    if (assembler === undefined) {
      const cache = data.cache;
      assembler = new BatchAssembler(cache, cache.groups[group] as (typeof cache.groups)[number], {
        batchSize: config.batchSize,
        ...(data.flow !== undefined ? { flow: data.flow } : {}),
        range: data.range,
        alphasCumprod: data.alphasCumprod,
        predictionType: config.predictionType,
        ...(config.snrGamma !== undefined ? { snrGamma: config.snrGamma } : {}),
        ...(config.timestepBias !== undefined && data.flow === undefined
          ? { timestepWeights: timestepBiasWeights(config.timestepBias, data.alphasCumprod.length) }
          : {}),
        captionDropout: config.captionDropout,
        seed: config.seed,
      });
      this.assemblers.set(group, assembler);
    }
    return assembler;
  }

  /** The step's micro-batches through the trainer (the optimizer steps after the last one). */
  private async microBatches(trainer: Trainer, planned: PlannedBatch, step: number): Promise<StepRun> {
    const B = this.config.batchSize;
    const A = this.config.gradientAccumulation;
    const assembler = this.assembler(planned.group);
    let lossSum = 0;
    let timestepSum = 0;
    let timestepMin = Number.POSITIVE_INFINITY;
    let timestepMax = Number.NEGATIVE_INFINITY;
    let last: StepResult | undefined;
    for (let a = 0; a < A; a++) {
      const b0 = this.now();
      const batch = await assembler.assemble(planned.items.slice(a * B, (a + 1) * B), step * A + a);
      this.spent.batch += this.now() - b0;
      last = await trainer.step(batch.feeds);
      lossSum += last.loss;
      for (const t of batch.timesteps) {
        timestepSum += t;
        timestepMin = Math.min(timestepMin, t);
        timestepMax = Math.max(timestepMax, t);
      }
    }
    return { loss: lossSum / A, timestepSum, timestepMin, timestepMax, last };
  }

  /** The step's metrics line and progress; returns when that was done (the checkpoint's clock starts). */
  private async record(step: number, run: StepRun, last: StepResult): Promise<number> {
    const { config } = this;
    const lr = last.lr ?? config.learningRate;
    const m0 = this.now();
    await this.metrics.append({
      step: step + 1,
      loss: run.loss,
      lr,
      timestep_mean: run.timestepSum / (config.gradientAccumulation * config.batchSize),
      timestep_min: run.timestepMin,
      timestep_max: run.timestepMax,
      ...(last.gradNorm !== undefined ? { grad_norm: last.gradNorm } : {}),
    });
    const rate = (step + 1 - this.start) / ((performance.now() - this.began) / 1000);
    this.io.progress({
      done: step + 1,
      total: config.steps,
      message: `step ${step + 1}/${config.steps} loss ${run.loss.toFixed(4)} lr ${lr.toPrecision(3)} ${rate.toFixed(2)} steps/s`,
      metrics: { loss: run.loss, lr, steps_per_s: rate },
    });
    const c0 = this.now();
    this.spent.metrics += c0 - m0;
    return c0;
  }

  /** The weights, optimizer state and metrics so far, as the checkpoint after `step`. */
  private async checkpoint(step: number): Promise<void> {
    await this.metrics.flush();
    const current = this.trainers.current();
    const state: CheckpointState = {
      format: 'moe-train-expert/1',
      step: step + 1,
      microBatch: (step + 1) * this.config.gradientAccumulation,
      seed: this.config.seed,
      metricsBytes: this.metrics.bytes,
      settings: this.settings,
    };
    await saveCheckpoint(this.io.checkpointDir, state, current.params, current.optimizer, current.ema);
  }

  /** Milliseconds since the first step began (0 when no step ran). */
  loopMs(): number {
    return Number.isNaN(this.loopStart) ? 0 : this.now() - this.loopStart;
  }

  /** The loss averaged exponentially over the last steps, debiased. */
  smoothedLoss(): number {
    return this.smooth.weight > 0 ? this.smooth.average / this.smooth.weight : Number.NaN;
  }

  /** Milliseconds per step, by part, over the `loopMs` the steps took. */
  profile(loopMs: number): StepProfile {
    const steps = this.config.steps - this.start;
    let runMs = 0;
    let optimizerMs = 0;
    for (const [now, before] of this.trainerTimes0) {
      runMs += now.runMs - before.runMs;
      optimizerMs += now.optimizerMs - before.optimizerMs;
    }
    const per = (ms: number): number => (steps > 0 ? ms / steps : 0);
    const spent = this.spent;
    const known = runMs + optimizerMs + spent.batch + spent.metrics + spent.checkpoint;
    return {
      steps,
      totalMs: per(loopMs),
      runMs: per(runMs),
      optimizerMs: per(optimizerMs),
      batchMs: per(spent.batch),
      metricsMs: per(spent.metrics),
      checkpointMs: per(spent.checkpoint),
      otherMs: per(Math.max(0, loopMs - known)),
    };
  }
}
