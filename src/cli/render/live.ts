// The live display on a terminal: finished nodes scroll up as permanent lines; below them, one line per
// running node with its elapsed time and progress, redrawn in place.
import type { RunEvent } from '../../engine/events.js';
import type { Colors } from './format.js';
import { duration } from './format.js';
import { progressText } from './progress.js';
import type { ProgressUpdate } from '../../contract/step.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 100;

interface Running {
  readonly started: number;
  progress: ProgressUpdate | undefined;
  attempt: number;
  /** Why its cluster job waits in the queue, until the job runs. */
  queued: string | undefined;
}

export class LiveRenderer {
  readonly #out: NodeJS.WriteStream;
  readonly #c: Colors;
  readonly #running = new Map<string, Running>();
  #drawn = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #cached = 0;

  constructor(out: NodeJS.WriteStream, c: Colors) {
    this.#out = out;
    this.#c = c;
  }

  onEvent(e: RunEvent): void {
    const c = this.#c;
    switch (e.type) {
      case 'run-start':
        this.#print(c.dim(`run ${e.runId}: ${e.pipeline}, ${e.nodes.length} nodes, ${e.jobs} jobs`));
        this.#timer = setInterval(() => this.#redraw(), REDRAW_MS);
        this.#timer.unref();
        return;
      case 'node-cached':
        this.#cached += 1;
        return;
      case 'node-start':
        this.#running.set(e.node, {
          started: e.time,
          progress: undefined,
          attempt: e.attempt,
          queued: undefined,
        });
        if (e.attempt === 1 && e.reasons.length > 0)
          this.#print(c.dim(`  ${e.node}: ${e.reasons.join(', ')}`));
        return;
      case 'node-progress': {
        const r = this.#running.get(e.node);
        if (r) {
          r.progress = e.progress;
          r.queued = undefined;
        }
        return;
      }
      case 'node-queued': {
        const r = this.#running.get(e.node);
        if (r) r.queued = `queued: job ${e.jobId} waits (${e.reason})`;
        return;
      }
      case 'node-log': {
        // Lines logged after the job waited mean it runs now (the executor says when it leaves the queue).
        const r = this.#running.get(e.node);
        if (r) r.queued = undefined;
        return;
      }
      case 'node-retry':
        this.#print(
          c.yellow(`↻ ${e.node} attempt ${e.attempt} failed: ${e.error} (retry in ${duration(e.delayMs)})`),
        );
        return;
      case 'node-done':
        this.#running.delete(e.node);
        this.#print(
          `${c.green('✓')} ${e.node} ${c.dim(duration(e.durationMs))}${e.unchanged ? c.dim(' (unchanged)') : ''}`,
        );
        return;
      case 'node-failed':
        this.#running.delete(e.node);
        this.#print(`${c.red('✗')} ${e.node} ${c.red(e.error)}`);
        return;
      case 'node-skipped':
        return;
      case 'run-end':
        if (this.#timer) clearInterval(this.#timer);
        this.#clear();
        if (this.#cached > 0) this.#print(c.dim(`${this.#cached} cached`));
        return;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#clear();
  }

  #print(line: string): void {
    this.#clear();
    this.#out.write(`${line}\n`);
    this.#draw();
  }

  #redraw(): void {
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#clear();
    this.#draw();
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const now = Date.now();
    const columns = this.#out.columns;
    const width = columns !== undefined && columns >= 40 ? columns : 100;
    const lines = [...this.#running].map(([node, r]) => {
      const attempt = r.attempt > 1 ? ` (attempt ${r.attempt})` : '';
      const text = `${FRAMES[this.#frame] ?? ''} ${node}${attempt} ${duration(now - r.started)} ${r.queued ?? progressText(r.progress)}`;
      return text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
    });
    if (lines.length === 0) return;
    this.#out.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}
