// Plain, timestamped lines for logs and pipes (stdout is not a terminal).
import type { RunEvent } from '../../engine/events.js';
import { clockTime, duration } from './format.js';
import { progressText } from './progress.js';

/** Progress lines are rate-limited per node so a chatty trainer does not flood a CI log. */
const PROGRESS_EVERY_MS = 10_000;
/** Lines are written in batches: one write per burst instead of one per node. */
const FLUSH_MS = 100;

export class PlainRenderer {
  readonly #out: (text: string) => void;
  readonly #lastProgress = new Map<string, number>();
  #lines: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(out: (text: string) => void) {
    this.#out = out;
  }

  #write(line: string): void {
    this.#lines.push(line);
    this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length > 0) this.#out(`${this.#lines.join('\n')}\n`);
    this.#lines = [];
  }

  onEvent(e: RunEvent): void {
    this.#render(e);
    if (e.type === 'run-end' || e.type === 'node-failed') this.flush();
  }

  #render(e: RunEvent): void {
    if (e.type === 'node-cached' || e.type === 'node-log') return;
    const t = clockTime(e.time);
    switch (e.type) {
      case 'run-start':
        this.#write(`${t} run ${e.runId}: ${e.pipeline} (${e.nodes.length} nodes, ${e.jobs} jobs)`);
        return;
      case 'node-start':
        this.#write(
          `${t} start ${e.node}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}${e.reasons.length ? `: ${e.reasons.join(', ')}` : ''}${e.gpus.length ? ` [gpu ${e.gpus.join(',')}]` : ''}`,
        );
        return;
      case 'node-progress': {
        const last = this.#lastProgress.get(e.node) ?? 0;
        if (e.time - last < PROGRESS_EVERY_MS) return;
        this.#lastProgress.set(e.node, e.time);
        this.#write(`${t} ${e.node}: ${progressText(e.progress)}`);
        return;
      }
      case 'node-queued':
        this.#write(`${t} queued ${e.node}: job ${e.jobId} waits (${e.reason})`);
        return;
      case 'node-done':
        this.#write(
          `${t} done ${e.node} in ${duration(e.durationMs)}${e.unchanged ? ' (outputs unchanged)' : ''}`,
        );
        return;
      case 'node-retry':
        this.#write(
          `${t} retry ${e.node}: attempt ${e.attempt} failed (${e.error}); next in ${duration(e.delayMs)}`,
        );
        return;
      case 'node-failed':
        this.#write(`${t} ${e.kind === 'aborted' ? 'stopped' : 'FAILED'} ${e.node}: ${e.error}`);
        return;
      case 'node-skipped':
        this.#write(`${t} skip ${e.node}: ${e.reason}`);
        return;
      case 'run-end':
        this.#write(
          `${t} ${e.status}: ${e.counts.ran} ran, ${e.counts.cached} cached, ${e.counts.failed} failed${e.counts.interrupted === undefined ? '' : `, ${e.counts.interrupted} interrupted`}, ${e.counts.skipped} skipped in ${duration(e.durationMs)}`,
        );
        return;
    }
  }
}
