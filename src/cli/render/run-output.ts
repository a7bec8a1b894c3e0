// What `moe run` shows while it runs and when it ends: the live display on a terminal, timestamped
// lines in a pipe, or NDJSON with --json (one line per engine event, then one `{"type":"summary",…}`
// line; docs/engine.md lists the event types); then the failures with the tail of their logs, and where
// the results are.
import { relative } from 'node:path';
import type { FinalOutput } from '../../app/final-outputs.js';
import type { RunEvent } from '../../engine/events.js';
import type { RunSummary } from '../../engine/run.js';
import { colors, duration, useColor } from './format.js';
import { LiveRenderer } from './live.js';
import { PlainRenderer } from './plain.js';

/** One NDJSON line of `moe run --json`: an engine event, or the summary that ends the stream. */
export type RunJsonLine = RunEvent | ({ readonly type: 'summary' } & Omit<RunSummary, 'records'>);

export class RunOutput {
  readonly tty: boolean;
  readonly #json: boolean;
  readonly #live: LiveRenderer | undefined;
  readonly #plain: PlainRenderer | undefined;

  constructor(json: boolean) {
    this.#json = json;
    this.tty = !json && process.stdout.isTTY === true;
    this.#live = this.tty ? new LiveRenderer(process.stdout, colors(useColor(process.stdout))) : undefined;
    this.#plain = !this.tty && !json ? new PlainRenderer((text) => process.stdout.write(text)) : undefined;
  }

  readonly onEvent = (e: RunEvent): void => {
    this.#live?.onEvent(e);
    this.#plain?.onEvent(e);
    if (this.#json) line(e);
  };

  /** Ends the live display and writes what the plain renderer still holds. */
  stop(): void {
    this.#live?.stop();
    this.#plain?.flush();
  }

  /** The summary line under --json; otherwise each failure with the tail of its log. */
  async summary(summary: RunSummary, tail: (file: string) => Promise<string[]>): Promise<void> {
    if (this.#json) {
      const { records: _records, ...shown } = summary;
      return line({ type: 'summary', ...shown });
    }
    if (summary.status === 'interrupted' || summary.failures.length === 0) return;
    const c = colors(useColor(process.stderr));
    for (const f of summary.failures) {
      process.stderr.write(`${c.red('✗')} ${c.bold(f.node)} failed: ${f.error}\n`);
      for (const l of await tail(f.logFile)) process.stderr.write(`  ${c.dim('│')} ${l}\n`);
      process.stderr.write(`  log: ${relative(process.cwd(), f.logFile)}\n`);
    }
  }

  /** After a run that succeeded: the totals on a terminal, and where the results are. */
  succeeded(summary: RunSummary, outputs: readonly FinalOutput[]): void {
    if (this.tty) {
      const c = summary.counts;
      process.stdout.write(`done: ${c.ran} ran, ${c.cached} cached in ${duration(summary.durationMs)}\n`);
    }
    if (this.#json) return;
    this.#plain?.flush();
    if (outputs.length === 0) return;
    const shown = outputs.map((o) => `  ${o.node}.${o.name}: ${nearPath(o.path)}\n`);
    process.stdout.write(`results:\n${shown.join('')}`);
  }
}

function line(l: RunJsonLine): void {
  process.stdout.write(`${JSON.stringify(l)}\n`);
}

/** A path relative to the current directory when it lies below it. */
function nearPath(full: string): string {
  const near = relative(process.cwd(), full);
  return near === '' ? '.' : near.startsWith('..') ? full : near;
}
