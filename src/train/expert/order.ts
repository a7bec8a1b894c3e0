/**
 * The order in which training items are visited: a pure function of (seed, micro-batch index), so a
 * resumed run sees exactly the batches an uninterrupted one sees.
 *
 * Each epoch shuffles the items of every shape group, cuts each group into batches (the last batch of a
 * group is topped up from the start of that group's shuffled order, so every batch is full and a group
 * smaller than the batch still trains), then shuffles the list of batches so groups interleave. Only the
 * current epoch's list is kept: memory does not grow with steps.
 */
import { shuffle } from '../../diffusion/index.js';
import { STREAM, streamRandom } from './random.js';

export interface PlannedBatch {
  /** Index of the shape group. */
  readonly group: number;
  /** Item indices within the group, `batchSize` of them. */
  readonly items: readonly number[];
}

export class BatchOrder {
  /** Batches in one epoch. */
  readonly perEpoch: number;
  private epoch = -1;
  private batches: PlannedBatch[] = [];

  constructor(
    private readonly groupSizes: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (groupSizes.length === 0 || groupSizes.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new RangeError('every group needs at least one item');
    }
    this.perEpoch = groupSizes.reduce((s, n) => s + Math.ceil(n / batchSize), 0);
  }

  /** The batch of micro-batch `index` (0-based over the whole run). */
  at(index: number): PlannedBatch {
    const epoch = Math.floor(index / this.perEpoch);
    if (epoch !== this.epoch) {
      this.batches = this.plan(epoch);
      this.epoch = epoch;
    }
    return this.batches[index - epoch * this.perEpoch] as PlannedBatch;
  }

  private plan(epoch: number): PlannedBatch[] {
    const random = streamRandom(this.seed, epoch, STREAM.order);
    const out: PlannedBatch[] = [];
    this.groupSizes.forEach((n, group) => {
      const order = shuffle(
        Array.from({ length: n }, (_v, i) => i),
        random,
      );
      for (let start = 0; start < n; start += this.batchSize) {
        const items = Array.from({ length: this.batchSize }, (_v, k) => order[(start + k) % n] as number);
        out.push({ group, items });
      }
    });
    return shuffle(out, random);
  }
}
