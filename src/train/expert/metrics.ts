/**
 * metrics.jsonl: one line per optimizer step (step, loss, lr, timestep mean/min/max, gradient norm),
 * appended as training goes. The file lives in the checkpoint directory while training runs; a resume
 * cuts it back to the length the checkpoint recorded, so lines of steps done after that checkpoint and
 * redone after the resume are never counted twice.
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

export class MetricsLog {
  private closed = false;

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

  /** Bytes written so far (what a checkpoint records). */
  get bytes(): number {
    return this.size;
  }

  async append(line: MetricsLine): Promise<void> {
    const text = Buffer.from(JSON.stringify(line) + '\n');
    await this.handle.write(text);
    this.size += text.length;
  }

  /** Flushes and closes; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.sync();
    await this.handle.close();
  }
}
