/**
 * `train.expert`: trains one expert of a split-schedule pair (base: high-noise timesteps, refiner:
 * low-noise ones) from the embedding cache, with checkpoints in the node's checkpoint directory so a
 * rerun after an interruption continues where it stopped. Backend `builtin` trains on onnxruntime;
 * backend `simpletuner` hands the expert to SimpleTuner (simpletuner/backend.ts).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../contract/step.js';
import { checkTimestepBias } from '../../diffusion/index.js';
import { cudaProviderProblem, cudaUnavailableMessage } from '../../onnx/session-device.js';
import { resolveUserPath } from '../dataset/paths.js';
import { TRAIN_OUTPUTS, trainExpertParallel } from '../../train/expert/index.js';
import type { ExpertTrainingConfig, StepProfile } from '../../train/expert/index.js';
import { readSchedulerDefaults } from './model-folder.js';
import { runSimpleTunerBackend, SIMPLETUNER_OUTPUTS } from './simpletuner/backend.js';
import { mixedPrecisionOf, optimisationSettings, TRAIN_DEFAULTS, trainExpertSchema } from './schema.js';
import type { TrainExpertWith } from './schema.js';
import { resolveFlow } from '../../workflow/flow-objective.js';

/** A user-facing failure: the message is the whole story. */
export class TrainExpertError extends Error {
  override readonly name = 'TrainExpertError';
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new TrainExpertError(r.error);
  return r.value;
};

/**
 * The built-in trainer's resolved settings for a `with` block (paths resolved against the pipeline
 * directory). `backend: simpletuner` never comes here: run() hands it to runSimpleTunerBackend.
 */
export async function resolveTrainConfig(
  w: TrainExpertWith,
  pipelineDir: string,
  threads: number,
): Promise<ExpertTrainingConfig> {
  const backend = w.backend ?? TRAIN_DEFAULTS.backend;
  if (backend !== 'builtin') {
    throw new TrainExpertError(
      `backend ${backend} has no built-in trainer settings: it is trained by runSimpleTunerBackend`,
    );
  }
  const precision = mixedPrecisionOf(w);
  if (precision !== 'no') {
    throw new TrainExpertError(
      `mixed_precision ${precision}: the built-in backend trains in fp32 only; set mixed_precision: no, or backend: simpletuner`,
    );
  }
  const device = w.device ?? TRAIN_DEFAULTS.device;
  const cudaProblem = device === 'cuda' ? cudaProviderProblem() : undefined;
  if (cudaProblem !== undefined) throw new TrainExpertError(cudaUnavailableMessage(cudaProblem));
  const modelDir = must(resolveUserPath(pipelineDir, w.model, 'model'));
  const cacheDir = must(resolveUserPath(pipelineDir, w.cache, 'cache'));
  const defaults = must(await readSchedulerDefaults(modelDir));
  const flow = must(resolveFlow(w));
  if (flow !== undefined) {
    const clash = (['prediction_type', 'zero_snr', 'snr_gamma', 'timestep_bias_strategy'] as const).find(
      (k) => w[k] !== undefined,
    );
    if (clash !== undefined) {
      throw new TrainExpertError(
        `${clash}: not used with objective: flow_matching (the model predicts ε − x₀ at t = 1000·σ); remove ${clash}`,
      );
    }
  }
  const ns = w.noise_schedule ?? {};
  const overridden = Object.keys(ns).length > 0;
  const zeroSnr = w.zero_snr ?? defaults.zeroSnr;
  const numTrainTimesteps = ns.num_train_timesteps ?? defaults.numTrainTimesteps;
  const settings = optimisationSettings(w);
  if (settings.timestepBias !== undefined) must(checkTimestepBias(settings.timestepBias, numTrainTimesteps));
  return {
    role: w.role,
    unetDir: join(modelDir, 'unet'),
    cacheDir,
    strength: w.strength ?? TRAIN_DEFAULTS.strength,
    ...(flow !== undefined
      ? { flow: { boundary: flow.boundary.boundary, shift: flow.shift, density: flow.density } }
      : {}),
    predictionType: w.prediction_type ?? defaults.predictionType,
    noiseSchedule: {
      betaSchedule: ns.beta_schedule ?? defaults.betaSchedule,
      betaStart: ns.beta_start ?? defaults.betaStart,
      betaEnd: ns.beta_end ?? defaults.betaEnd,
      numTrainTimesteps,
      ...(defaults.trainedBetas && !overridden ? { trainedBetas: defaults.trainedBetas } : {}),
      rescaleBetasZeroSnr: zeroSnr,
    },
    timestepSpacing: w.timestep_spacing ?? defaults.timestepSpacing,
    ...settings,
    device,
    threads,
  };
}

/** Upstream outputs arrive as `<nodes.X.outputs.Y>` while fingerprinting; their digests already count. */
const isUpstream = (p: string): boolean => /^<nodes\.[^>]*>$/.test(p) || p.includes('${{');

async function run(ctx: StepContext<TrainExpertWith>): Promise<StepResult> {
  if (ctx.with.backend === 'simpletuner') {
    if (ctx.with.objective === 'flow_matching') {
      throw new TrainExpertError(
        'objective flow_matching: the simpletuner backend does not write flow-matching configs yet; use backend: builtin (docs/flow-matching.md maps the boundary to SimpleTuner and musubi-tuner options)',
      );
    }
    return runSimpleTunerBackend(ctx);
  }
  const threads = Math.max(1, Math.min(ctx.resources.cpu, availableParallelism()));
  const config = await resolveTrainConfig(ctx.with, ctx.pipelineDir, threads);
  if (ctx.with.boundary_snr !== undefined && config.flow !== undefined) {
    ctx.log.info(
      `boundary_snr ${ctx.with.boundary_snr} → boundary ${config.flow.boundary.toPrecision(6)} (t = ${(config.flow.boundary * 1000).toPrecision(6)})`,
    );
  }
  if (ctx.with.gradient_checkpointing === true) {
    ctx.log.info(
      'gradient_checkpointing: the built-in backend keeps one batch of activations in one training graph; it does not recompute them',
    );
  }
  // Two experts at once train on two threads (two cores): see placement.ts.
  const r = await trainExpertParallel(config, {
    checkpointDir: ctx.checkpointDir,
    outDir: ctx.outDir,
    signal: ctx.signal,
    log: ctx.log,
    progress: (u) => ctx.progress(u),
  });
  if (!r.ok) throw new TrainExpertError(r.error);
  const o = r.value;
  return {
    summary: {
      role: config.role,
      steps: o.steps,
      resumed_from: o.resumedFrom,
      ...(Number.isFinite(o.finalLoss) ? { final_loss: o.finalLoss } : {}),
      steps_per_s: Number(o.stepsPerSecond.toFixed(3)),
      ...(Number.isFinite(o.timestepMin) ? { timestep_min: o.timestepMin, timestep_max: o.timestepMax } : {}),
      ...profileSummary(o.profile),
    },
    // NaN and Infinity are dropped by the engine.
    metrics: { final_loss: o.smoothedLoss, steps_per_s: o.stepsPerSecond },
  };
}

/** Where a step's wall time went, in ms per optimizer step (the steps this run took). */
function profileSummary(p: StepProfile): Record<string, number> {
  if (p.steps === 0) return {};
  const ms = (v: number): number => Number(v.toFixed(2));
  return {
    step_ms: ms(p.totalMs),
    step_run_ms: ms(p.runMs),
    step_optimizer_ms: ms(p.optimizerMs),
    step_batch_ms: ms(p.batchMs),
    step_metrics_ms: ms(p.metricsMs),
    step_checkpoint_ms: ms(p.checkpointMs),
  };
}

export const trainExpertStep: StepDefinition<TrainExpertWith> = {
  name: 'train.expert',
  version: '1',
  description: 'Train a base (high-noise) or refiner (low-noise) expert UNet from the embedding cache',
  withSchema: trainExpertSchema,
  outputs: (withValue) =>
    isObject(withValue) && withValue['backend'] === 'simpletuner' ? SIMPLETUNER_OUTPUTS : TRAIN_OUTPUTS,
  inputs(withValue: TrainExpertWith): readonly string[] {
    // A hub id (`segmind/SSD-1B`) is no file: pretrained_model counts only when it is written as a path.
    const pretrained = /^\.\.?\//.test(withValue.pretrained_model ?? '')
      ? withValue.pretrained_model
      : undefined;
    // A relative path that climbs out (`../m`) is listed too: validate reports it at the line.
    return [withValue.model, withValue.cache, withValue.images, pretrained].filter(
      (p): p is string => typeof p === 'string' && p !== '' && !isUpstream(p),
    );
  },
  run,
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export type { TrainExpertWith } from './schema.js';
