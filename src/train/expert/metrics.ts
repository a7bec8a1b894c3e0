/**
 * metrics.jsonl: one line per optimizer step (step, loss, lr, timestep mean/min/max, gradient norm),
 * appended as training goes. The file lives in the checkpoint directory while training runs; a resume
 * cuts it back to the length the checkpoint recorded, so lines of steps done after that checkpoint and
 * redone after the resume are never counted twice. Lines are buffered and written in batches (and
 * always before a checkpoint records the length), so a step costs no file write of its own; lines lost
 * to a crash are the ones a resume would cut anyway.
 */
import { open, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface MetricsLine {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly timestep_mean: number;
  readonly timestep_min: number;
  readonly timestep_max: number;
  readonly grad_norm?: number;
}

/** Buffered lines are written once this many have gathered. */
const FLUSH_LINES = 50;

export class MetricsLog {
  private closed = false;
  private pending: string[] = [];

  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /** Opens `path` for appending after cutting it to `keepBytes` (0: start afresh). */
  static async open(path: string, keepBytes: number): Promise<MetricsLog> {
    const handle = await open(path, 'a');
    try {
      const { size } = await handle.stat();
      if (size > keepBytes) await truncate(path, keepBytes);
      else if (size < keepBytes) throw new Error(`${path} is shorter than its checkpoint recorded`);
    } catch (e) {
      await handle.close();
      throw e;
    }
    return new MetricsLog(handle, keepBytes);
  }

  /** Bytes appended so far, buffered ones included (what a checkpoint records, after `flush`). */
  get bytes(): number {
    return this.size;
  }

  async append(line: MetricsLine): Promise<void> {
    const text = JSON.stringify(line) + '\n';
    this.pending.push(text);
    this.size += Buffer.byteLength(text);
    if (this.pending.length >= FLUSH_LINES) await this.flush();
  }

  /** Writes the buffered lines. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    await this.handle.write(text);
  }

  /** Flushes and closes; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
  }
}
