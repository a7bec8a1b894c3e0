/**
 * One training session per latent shape. The generated backward pass needs static shapes, so a cache
 * with several aspect buckets gets one onnxruntime session per bucket; exactly one holds the live
 * weights and optimizer state at a time, and switching hands weights, AdamW moments and EMA shadows over
 * (a copy of the parameters, done only when consecutive batches differ in shape). A cache with one
 * bucket never switches.
 */
import { loadDiffusersUNet } from '../../models/unet/index.js';
import { createTrainer } from '../optim/index.js';
import type { AdamWOptions, EmaOptions, LrSchedule, Trainer } from '../optim/index.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { LOSS, withWeightedMse } from './loss.js';
import { collectAll } from '../../util/scavenge.js';

export interface SessionShape {
  readonly batch: number;
  /** Latent [C, h, w]. */
  readonly latent: readonly [number, number, number];
  readonly tokens: number;
  readonly timeIds: number;
}

export interface TrainerSettings {
  readonly unetDir: string;
  readonly optimizer: AdamWOptions;
  readonly schedule: LrSchedule;
  readonly maxGradNorm?: number;
  readonly gradClipMethod?: 'norm' | 'value';
  readonly accumulate: number;
  readonly ema?: EmaOptions;
  readonly threads: number;
  readonly device: 'cpu' | 'cuda';
  /** The clock of the trainers' step times (TrainerOptions.clock). */
  readonly clock?: () => number;
}

export class ShapeTrainers {
  private readonly trainers = new Map<number, Trainer>();
  private active: number | undefined;
  /** Weight shapes by name, from the UNet graph (the trainer keeps flat arrays). */
  readonly weightShapes = new Map<string, readonly number[]>();

  constructor(
    private readonly settings: TrainerSettings,
    private readonly shapes: readonly SessionShape[],
    private readonly initialWeights: ReadonlyMap<string, Float32Array> | undefined,
  ) {}

  /** The trainer that holds the live state. */
  current(): Trainer {
    const t = this.active === undefined ? undefined : this.trainers.get(this.active);
    if (t === undefined) throw new Error('no trainer has been created yet');
    return t;
  }

  /** Makes the trainer of shape `index` the live one, creating it on first use. */
  async use(index: number): Promise<Result<Trainer, string>> {
    if (this.active === index) return ok(this.current());
    const previous = this.active === undefined ? undefined : this.trainers.get(this.active);
    let next = this.trainers.get(index);
    if (next === undefined) {
      const created = await this.create(index, previous);
      // The graph's IR, its backward and the encoded model are garbage now (tens of MB of this thread's
      // heap for tiny.yaml's UNet): freed at once rather than at V8's next full collection, so the other
      // expert's start-up, which comes next, does not add its own on top of them.
      collectAll();
      if (!created.ok) return created;
      next = created.value;
      this.trainers.set(index, next);
    }
    if (previous) handOver(previous, next);
    this.active = index;
    return ok(next);
  }

  private async create(index: number, previous: Trainer | undefined): Promise<Result<Trainer, string>> {
    const shape = this.shapes[index];
    if (shape === undefined) throw new RangeError(`no session shape ${index}`);
    const s = this.settings;
    const loaded = await loadDiffusersUNet(s.unetDir, {
      batch: shape.batch,
      height: shape.latent[1],
      width: shape.latent[2],
      sequenceLength: shape.tokens,
      timeIds: shape.timeIds,
    });
    if (!loaded.ok) return err(loaded.error.message);
    try {
      const model = loaded.value.model;
      for (const t of model.graph.initializers)
        if (t.role === 'weight') this.weightShapes.set(t.name, t.dims);
      if (loaded.value.spec.inChannels !== shape.latent[0]) {
        return err(
          `the UNet takes ${loaded.value.spec.inChannels} latent channels, the cache holds ${shape.latent[0]}`,
        );
      }
      const initial =
        previous === undefined
          ? this.initialWeights
          : new Map(previous.params.map((p) => [p.name, p.data] as const));
      const created = await createTrainer({
        model: withWeightedMse(model),
        loss: LOSS,
        ...(initial ? { initialWeights: initial } : {}),
        optimizer: s.optimizer,
        schedule: s.schedule,
        ...(s.maxGradNorm !== undefined ? { maxGradNorm: s.maxGradNorm } : {}),
        ...(s.gradClipMethod !== undefined ? { gradClipMethod: s.gradClipMethod } : {}),
        accumulate: s.accumulate,
        ...(s.ema ? { ema: s.ema } : {}),
        threads: s.threads,
        device: s.device,
        ...(s.clock ? { clock: s.clock } : {}),
      });
      if (!created.ok) return err(`cannot build the training graph: ${created.error.message}`);
      return ok(created.value);
    } finally {
      await loaded.value.close();
    }
  }

  async release(): Promise<void> {
    for (const t of this.trainers.values()) await t.release();
    this.trainers.clear();
    this.active = undefined;
  }
}

function handOver(from: Trainer, to: Trainer): void {
  from.params.forEach((p, k) => {
    const target = to.params[k];
    // Both sessions are built from one UNet folder, so their weights come in the same order.
    if (target?.name !== p.name) throw new Error(`trainer weights differ at ${k}: ${p.name}`);
    target.data.set(p.data);
  });
  to.optimizer.load(from.optimizer.state());
  if (from.ema && to.ema) {
    const shadows = new Map(
      from.ema.params.map((p, k) => [p.name, from.ema?.shadow[k] as Float32Array] as const),
    );
    to.ema.load(shadows, from.ema.updates);
  }
}
