/**
 * The training step runner: one onnxruntime session of the training graph (forward + generated
 * backward), weights fed as inputs from Float32Arrays the optimizer updates in place, gradients written
 * into output buffers allocated once, then clipping, accumulation, the learning-rate schedule, AdamW and
 * the optional EMA. Nothing per step grows with the number of steps.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Initializer, Model } from '../../onnx/ir.js';
import { encodeModel } from '../../onnx/serialize.js';
import { weightsAsInputs } from '../../onnx/weights-as-inputs.js';
import { buildTrainingGraph, gradName } from '../../onnx/autodiff/build.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { AdamW } from './adamw.js';
import { WasmArena } from './adamw-wasm.js';
import type { AdamWOptions, Parameter } from './adamw.js';
import { GradientAccumulator } from './accumulate.js';
import { clipCoefficient, clipGradValue, globalNorm } from './clip.js';
import { WeightEma } from './ema.js';
import type { EmaOptions } from './ema.js';
import { learningRate } from './schedule.js';
import type { LrSchedule } from './schedule.js';

export interface TrainerOptions {
  /** A forward model whose graph computes a scalar loss; trainable weights are initializers of role weight. */
  readonly model: Model;
  /** The loss value's name. */
  readonly loss: string;
  /** The weights to train. @default every weight of the graph */
  readonly trainable?: readonly string[];
  /** Starting values by name (checkpoints); the model's own initializer data otherwise. */
  readonly initialWeights?: ReadonlyMap<string, Float32Array>;
  readonly optimizer?: AdamWOptions;
  /** A schedule for the learning rate; the optimizer's fixed lr otherwise. */
  readonly schedule?: LrSchedule;
  /** Clip the gradients at this value: their global norm, or each element with `gradClipMethod: 'value'`. */
  readonly maxGradNorm?: number;
  /** @default 'norm' */
  readonly gradClipMethod?: 'norm' | 'value';
  /** Micro-batches per optimizer step. @default 1 */
  readonly accumulate?: number;
  /** Keep an EMA of the weights. */
  readonly ema?: EmaOptions;
  /** Intra-op threads. @default the number of cores */
  readonly threads?: number;
  /** @default 'cpu' */
  readonly device?: 'cpu' | 'cuda';
  /**
   * The clock `times` is kept with, in milliseconds. @default performance.now (wall time); a benchmark
   * alone in its process may pass process CPU time, which a busy machine does not distort.
   */
  readonly clock?: () => number;
}

export interface TrainerError {
  readonly reason: 'autodiff' | 'weights' | 'session';
  readonly message: string;
}

export interface StepResult {
  /** The loss of this micro-batch. */
  readonly loss: number;
  /** Whether the optimizer stepped (false while accumulating). */
  readonly applied: boolean;
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** The learning rate used, when applied. */
  readonly lr?: number;
  /** The global gradient norm before clipping, when applied. */
  readonly gradNorm?: number;
}

/** A trained weight: its name, its values (updated in place every step) and its shape. */
export interface TrainedParameter extends Parameter {
  readonly dims: readonly number[];
}

/** Cumulative milliseconds of a trainer's steps, by part. */
export interface TrainerTimes {
  /** Micro-batches run. */
  micro: number;
  /** Inside onnxruntime's run (forward and backward), feeds and fetches included. */
  runMs: number;
  /** Accumulation, the norm, clipping, the schedule, AdamW and the EMA. */
  optimizerMs: number;
}

export interface Trainer {
  /** The weights being trained, in graph order; write them out with their dims for checkpoints. */
  readonly params: readonly TrainedParameter[];
  readonly optimizer: AdamW;
  readonly ema?: WeightEma;
  /** The data inputs each step must feed (the graph's inputs other than the weights). */
  readonly dataInputs: readonly string[];
  /** The training graph's size, for reports. */
  readonly nodeCount: number;
  /** Where this trainer's time went since it was created (cumulative, for profiles and benchmarks). */
  readonly times: TrainerTimes;
  /** One micro-batch: forward, backward, and an optimizer step when one is due. */
  step(batch: Readonly<Record<string, ort.Tensor>>): Promise<StepResult>;
  release(): Promise<void>;
}

function initialValues(
  t: Initializer,
  given: ReadonlyMap<string, Float32Array> | undefined,
): Float32Array | string {
  const g = given?.get(t.name);
  const n = t.dims.reduce((a, d) => a * d, 1);
  if (g !== undefined)
    return g.length === n ? Float32Array.from(g) : `${t.name} has ${g.length} values, expected ${n}`;
  if (t.dtype !== 'float32') return `${t.name} is ${t.dtype}; the trainer trains float32 weights`;
  if (t.data.kind === 'inline') return Float32Array.from(t.data.array as Float32Array);
  if (t.data.kind === 'lazy') {
    const bytes = t.data.read();
    return new Float32Array(bytes.slice().buffer, 0, n);
  }
  return `${t.name} lives in external data; pass initialWeights`;
}

/**
 * The training model a trainer runs: `trainable` weights (every weight by default) lifted to graph inputs
 * and the generated backward pass appended, outputting the loss and `grad.<weight>` for each.
 */
export function buildTrainingModel(
  model: Model,
  loss: string,
  trainable?: readonly string[],
): Result<{ readonly model: Model; readonly weights: readonly Initializer[] }, TrainerError> {
  const wanted = new Set(trainable ?? model.graph.weights);
  const lifted = weightsAsInputs(model, wanted);
  const missing = [...wanted].filter((n) => !lifted.weights.some((w) => w.name === n));
  if (missing.length > 0) {
    return err({ reason: 'weights', message: `not weights of the graph: ${missing.slice(0, 5).join(', ')}` });
  }
  const training = buildTrainingGraph(lifted.model.graph, {
    loss,
    wrt: lifted.weights.map((w) => w.name),
    keepForwardOutputs: false,
  });
  if (!training.ok) return err({ reason: 'autodiff', message: training.error.message });
  return ok({ model: { ...lifted.model, graph: training.value }, weights: lifted.weights });
}

export async function createTrainer(options: TrainerOptions): Promise<Result<Trainer, TrainerError>> {
  const built = buildTrainingModel(options.model, options.loss, options.trainable);
  if (!built.ok) return built;
  const { model: trainingModel, weights } = built.value;
  // Weights, gradients and AdamW's moments share one WebAssembly memory where they fit, so the update
  // runs as WebAssembly SIMD; ordinary arrays otherwise (the same numbers either way).
  const sizes = weights.map((w) => w.dims.reduce((a, d) => a * d, 1));
  const arena = WasmArena.create(sizes.flatMap((n) => [n, n, n, n]));
  const params: TrainedParameter[] = [];
  for (const w of weights) {
    const data = initialValues(w, options.initialWeights);
    if (typeof data === 'string') return err({ reason: 'weights', message: data });
    const held = arena?.alloc(data.length);
    held?.set(data);
    params.push({ name: w.name, data: held ?? data, dims: w.dims });
  }
  const names = params.map((p) => p.name);
  const bytes = encodeModel(trainingModel);

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: options.device === 'cuda' ? [{ name: 'cuda' }] : ['cpu'],
      intraOpNumThreads: options.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      enableMemPattern: false,
      logSeverityLevel: 3,
    });
  } catch (e) {
    return err({
      reason: 'session',
      message: `onnxruntime could not load the training graph: ${e instanceof Error ? e.message : String(e)}`,
    });
  }

  const dims = new Map(weights.map((w) => [w.name, w.dims as number[]]));
  const weightFeeds: Record<string, ort.Tensor> = {};
  for (const p of params) weightFeeds[p.name] = new ort.Tensor('float32', p.data, dims.get(p.name));
  // Gradient outputs are written into these buffers on every run (onnxruntime's pre-allocated outputs).
  const gradBuffers = params.map((p) => arena?.alloc(p.data.length) ?? new Float32Array(p.data.length));
  const fetches: Record<string, ort.Tensor | null> = { [options.loss]: null };
  params.forEach((p, k) => {
    fetches[gradName(p.name)] = new ort.Tensor('float32', gradBuffers[k] as Float32Array, dims.get(p.name));
  });
  const weightNames = new Set(names);
  const dataInputs = session.inputNames.filter((n) => !weightNames.has(n));

  const optimizer = new AdamW(params, { ...options.optimizer, ...(arena ? { arena } : {}) });
  const ema = options.ema ? new WeightEma(params, options.ema) : undefined;
  const every = options.accumulate ?? 1;
  const accumulator =
    every > 1
      ? new GradientAccumulator(
          gradBuffers.map((g) => g.length),
          every,
        )
      : undefined;
  const feeds: Record<string, ort.Tensor> = { ...weightFeeds };
  let released = false;
  // A NaN probe tells after the first run whether onnxruntime wrote into the pre-allocated outputs.
  const probe = gradBuffers.find((g) => g.length > 0) ?? new Float32Array(1);
  probe[0] = Number.NaN;
  let copyOutputs: boolean | undefined;
  const times: TrainerTimes = { micro: 0, runMs: 0, optimizerMs: 0 };
  const now = options.clock ?? (() => performance.now());

  const trainer: Trainer = {
    params,
    optimizer,
    ...(ema ? { ema } : {}),
    dataInputs,
    nodeCount: trainingModel.graph.nodes.length,
    times,
    async step(batch) {
      if (released) throw new Error('trainer used after release');
      for (const name of dataInputs) {
        const t = batch[name];
        if (t === undefined) throw new Error(`the batch lacks input ${name}`);
        feeds[name] = t;
      }
      const t0 = now();
      const out = await session.run(feeds, fetches);
      const t1 = now();
      times.micro += 1;
      times.runMs += t1 - t0;
      const loss = Number((out[options.loss]?.data as Float32Array)[0]);
      let grads: Float32Array[] = gradBuffers;
      if (copyOutputs === undefined) copyOutputs = Number.isNaN(probe[0]);
      if (copyOutputs) {
        // This execution provider returned fresh outputs instead of filling the pre-allocated ones.
        params.forEach((p, k) => {
          const got = out[gradName(p.name)]?.data as Float32Array | undefined;
          if (got !== undefined) (gradBuffers[k] as Float32Array).set(got);
        });
      }
      if (accumulator) {
        if (!accumulator.add(gradBuffers)) {
          times.optimizerMs += now() - t1;
          return { loss, applied: false, step: optimizer.step };
        }
        grads = accumulator.take();
      }
      const lr = options.schedule ? learningRate(options.schedule, optimizer.step) : optimizer.lr;
      let gradNorm: number;
      if (options.maxGradNorm === undefined) {
        // No clipping: the norm comes from AdamW's own pass over the gradients.
        gradNorm = Math.sqrt(optimizer.update(grads, lr));
      } else {
        const clipped = clip(grads, options.maxGradNorm, options.gradClipMethod);
        gradNorm = clipped.norm;
        optimizer.update(grads, lr, clipped.scale);
      }
      ema?.update();
      times.optimizerMs += now() - t1;
      return { loss, applied: true, step: optimizer.step, lr, gradNorm };
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
  return ok(trainer);
}

/**
 * Clips by value in place, or works out the norm-clipping factor; returns the global norm before clipping
 * (what the metrics show) and the factor AdamW applies.
 */
function clip(
  grads: readonly Float32Array[],
  max: number,
  method: TrainerOptions['gradClipMethod'],
): { norm: number; scale: number } {
  const norm = globalNorm(grads);
  if (method === 'value') {
    clipGradValue(grads, max);
    return { norm, scale: 1 };
  }
  // Norm clipping's factor is folded into AdamW's pass rather than scaling the gradients in place.
  return { norm, scale: clipCoefficient(norm, max) };
}
