/**
 * Gradient accumulation over micro-batches: sums gradients into buffers allocated once, and hands out
 * their mean when enough micro-batches have been added (the same update as one batch of the whole size,
 * for a loss that is a mean over the batch).
 */
export class GradientAccumulator {
  readonly buffers: Float32Array[];
  private count = 0;

  constructor(
    sizes: readonly number[],
    /** Micro-batches per optimizer step. */
    readonly every: number,
  ) {
    if (!Number.isInteger(every) || every < 1)
      throw new Error('accumulation needs a whole number of micro-batches ≥ 1');
    this.buffers = sizes.map((n) => new Float32Array(n));
  }

  /** Micro-batches added since the last `take`. */
  get pending(): number {
    return this.count;
  }

  /** Adds one micro-batch's gradients; true when an optimizer step is due. */
  add(grads: readonly ArrayLike<number>[]): boolean {
    if (grads.length !== this.buffers.length) throw new Error(`expected ${this.buffers.length} gradients`);
    for (let k = 0; k < grads.length; k++) {
      const b = this.buffers[k] as Float32Array;
      const g = grads[k] as ArrayLike<number>;
      if (this.count === 0) for (let i = 0; i < b.length; i++) b[i] = g[i] as number;
      else for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) + (g[i] as number);
    }
    this.count += 1;
    return this.count >= this.every;
  }

  /** The mean gradients (in the internal buffers, scaled in place); the next `add` starts afresh. */
  take(): Float32Array[] {
    if (this.count === 0) throw new Error('no gradients were added');
    if (this.count > 1) {
      const s = 1 / this.count;
      for (const b of this.buffers) for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) * s;
    }
    this.count = 0;
    return this.buffers;
  }
}
