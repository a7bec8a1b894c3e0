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
import { boundHeap } from '../../util/heap-bound.js';
import { scavenge } from '../../util/scavenge.js';
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
  const params = holdParameters(weights, options.initialWeights, arena);
  if (!params.ok) return params;
  const session = await openTrainingSession(encodeModel(trainingModel), options);
  if (!session.ok) return session;
  return ok(
    new SessionTrainer(session.value, params.value, arena, trainingModel.graph.nodes.length, options),
  );
}

/** The trained weights' starting values, in the arena when there is one. */
function holdParameters(
  weights: readonly Initializer[],
  given: ReadonlyMap<string, Float32Array> | undefined,
  arena: WasmArena | undefined,
): Result<TrainedParameter[], TrainerError> {
  const params: TrainedParameter[] = [];
  for (const w of weights) {
    const data = initialValues(w, given);
    if (typeof data === 'string') return err({ reason: 'weights', message: data });
    const held = arena?.alloc(data.length);
    held?.set(data);
    params.push({ name: w.name, data: held ?? data, dims: w.dims });
  }
  return ok(params);
}

async function openTrainingSession(
  bytes: Uint8Array,
  options: TrainerOptions,
): Promise<Result<ort.InferenceSession, TrainerError>> {
  try {
    return ok(
      await ort.InferenceSession.create(bytes, {
        executionProviders: options.device === 'cuda' ? [{ name: 'cuda' }] : ['cpu'],
        intraOpNumThreads: options.threads ?? availableParallelism(),
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        enableMemPattern: false,
        // Without onnxruntime's CPU arena a run's tensors come from malloc and go back to it: the arena
        // grows in doubling regions and keeps them (a tiny.yaml expert held 16 MB, 12 MB touched, beside
        // its malloc heap). The same kernels run; a step takes no more CPU (docs/performance-log.md).
        enableCpuMemArena: false,
        logSeverityLevel: 3,
      }),
    );
  } catch (e) {
    return err({
      reason: 'session',
      message: `onnxruntime could not load the training graph: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

/** A trainer over one onnxruntime session: the weights fed in place, the gradients fetched into fixed buffers. */
class SessionTrainer implements Trainer {
  readonly optimizer: AdamW;
  readonly ema?: WeightEma;
  readonly dataInputs: readonly string[];
  readonly times: TrainerTimes = { micro: 0, runMs: 0, optimizerMs: 0 };
  private readonly gradBuffers: Float32Array[];
  private readonly fetches: Record<string, ort.Tensor | null>;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly accumulator: GradientAccumulator | undefined;
  private readonly now: () => number;
  /** A NaN probe tells after the first run whether onnxruntime wrote into the pre-allocated outputs. */
  private readonly probe: Float32Array;
  private copyOutputs: boolean | undefined;
  private released = false;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly params: readonly TrainedParameter[],
    arena: WasmArena | undefined,
    readonly nodeCount: number,
    private readonly options: TrainerOptions,
  ) {
    for (const p of params) this.feeds[p.name] = new ort.Tensor('float32', p.data, p.dims as number[]);
    // Gradient outputs are written into these buffers on every run (onnxruntime's pre-allocated outputs).
    this.gradBuffers = params.map((p) => arena?.alloc(p.data.length) ?? new Float32Array(p.data.length));
    this.fetches = { [options.loss]: null };
    params.forEach((p, k) => {
      const buffer = this.gradBuffers[k] as Float32Array;
      this.fetches[gradName(p.name)] = new ort.Tensor('float32', buffer, p.dims as number[]);
    });
    const weightNames = new Set(params.map((p) => p.name));
    this.dataInputs = session.inputNames.filter((n) => !weightNames.has(n));
    this.optimizer = new AdamW(params, { ...options.optimizer, ...(arena ? { arena } : {}) });
    if (options.ema) this.ema = new WeightEma(params, options.ema);
    const every = options.accumulate ?? 1;
    this.accumulator =
      every > 1
        ? new GradientAccumulator(
            this.gradBuffers.map((g) => g.length),
            every,
          )
        : undefined;
    this.probe = this.gradBuffers.find((g) => g.length > 0) ?? new Float32Array(1);
    this.probe[0] = Number.NaN;
    this.now = options.clock ?? (() => performance.now());
  }

  async step(batch: Readonly<Record<string, ort.Tensor>>): Promise<StepResult> {
    if (this.released) throw new Error('trainer used after release');
    const { out, done } = await this.run(batch);
    const loss = this.collect(out);
    let grads: Float32Array[] = this.gradBuffers;
    if (this.accumulator) {
      if (!this.accumulator.add(this.gradBuffers)) {
        this.times.optimizerMs += this.now() - done;
        return { loss, applied: false, step: this.optimizer.step };
      }
      grads = this.accumulator.take();
    }
    const { lr, gradNorm } = this.update(grads);
    this.ema?.update();
    this.times.optimizerMs += this.now() - done;
    return { loss, applied: true, step: this.optimizer.step, lr, gradNorm };
  }

  /** Forward and backward on one micro-batch; `done` is when onnxruntime returned. */
  private async run(
    batch: Readonly<Record<string, ort.Tensor>>,
  ): Promise<{ out: ort.InferenceSession.ReturnType; done: number }> {
    for (const name of this.dataInputs) {
      const t = batch[name];
      if (t === undefined) throw new Error(`the batch lacks input ${name}`);
      this.feeds[name] = t;
    }
    // onnxruntime-node returns every output as a fresh copy, the pre-allocated gradients too: 4 bytes per
    // weight per run (4 MB for a tiny.yaml expert) of ArrayBuffers that die at once, and V8 would let
    // about 32 MB of them pile up per thread. A scavenge here, with the last run's outputs unreferenced,
    // keeps one run's worth: tiny.yaml's peak RSS is ~30 MB lower, and a step takes no more CPU (the
    // freed memory is reused instead of fresh pages; docs/performance-log.md, 2026-12-05).
    scavenge();
    // And the old generation: what survives steps (metrics, promoted buffers) is collected once it has
    // grown 16 MB, instead of V8 letting it reach its own, far larger, limit during a long training.
    boundHeap();
    const t0 = this.now();
    const out = await this.session.run(this.feeds, this.fetches);
    const done = this.now();
    this.times.micro += 1;
    this.times.runMs += done - t0;
    return { out, done };
  }

  /** The loss, with every gradient in its gradient buffer. */
  private collect(out: ort.InferenceSession.ReturnType): number {
    const loss = Number((out[this.options.loss]?.data as Float32Array)[0]);
    if (this.copyOutputs === undefined) this.copyOutputs = Number.isNaN(this.probe[0]);
    if (this.copyOutputs) {
      // This execution provider returned fresh outputs instead of filling the pre-allocated ones.
      this.params.forEach((p, k) => {
        const got = out[gradName(p.name)]?.data as Float32Array | undefined;
        if (got !== undefined) (this.gradBuffers[k] as Float32Array).set(got);
      });
    }
    return loss;
  }

  /** One optimizer step at the scheduled learning rate, clipping the gradients first when asked. */
  private update(grads: Float32Array[]): { lr: number; gradNorm: number } {
    const { options, optimizer } = this;
    const lr = options.schedule ? learningRate(options.schedule, optimizer.step) : optimizer.lr;
    if (options.maxGradNorm === undefined) {
      // No clipping: the norm comes from AdamW's own pass over the gradients.
      return { lr, gradNorm: Math.sqrt(optimizer.update(grads, lr)) };
    }
    const clipped = clip(grads, options.maxGradNorm, options.gradClipMethod);
    optimizer.update(grads, lr, clipped.scale);
    return { lr, gradNorm: clipped.norm };
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
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
