// `moe run`: open the pipeline, subscribe a renderer, run, report failures with their log paths, and
// choose the exit code (0 done, 1 a node failed, 2 invalid pipeline, 3 workspace busy, 130 interrupted,
// 143 after SIGTERM).
// With --json the run streams NDJSON on stdout: one line per engine event as it happens, then one
// `{"type":"summary",…}` line (docs/engine.md lists the event types).
import { relative } from 'node:path';
import type { RunEvent } from '../../engine/events.js';
import type { Executor } from '../../engine/executors/executor.js';
import type { Pipeline } from '../../pipeline/types.js';
import type { RunSummary } from '../../engine/run.js';
import { colors, duration, tailOf, useColor } from './format.js';
import { LiveRenderer } from './live.js';
import { PlainRenderer } from './plain.js';
import { CliFailure, EXIT, openOrExit, workspaceFor } from './support.js';
import { FinishedNodes, finalOutputLines } from './final-outputs.js';
import { planCommand } from './plan-command.js';
import type { PlanFlags, PlanJson } from './plan-command.js';

export interface RunFlags extends PlanFlags {
  readonly jobs?: number | undefined;
  readonly gpus?: string | undefined;
  readonly 'keep-going': boolean;
  readonly 'dry-run': boolean;
  readonly wait: number;
  readonly executor?: string | undefined;
}

/** One NDJSON line of `moe run --json`: an engine event, or the summary that ends the stream. */
export type RunJsonLine = RunEvent | ({ readonly type: 'summary' } & RunSummary);

/**
 * Runs the pipeline and prints as it goes. Returns the plan for `--dry-run` (printed as one document by
 * the caller under --json); a real run prints everything itself, its JSON included, and returns nothing.
 */
export async function runCommand(
  file: string,
  flags: RunFlags,
  json: boolean,
): Promise<PlanJson | undefined> {
  if (flags['dry-run']) return planCommand(file, flags, json);
  const ws = workspaceFor(file, flags.workspace);
  const opened = await openOrExit(file, flags.param, ws);
  const [{ runPipeline }, { parseDeviceList }] = await Promise.all([
    import('../../engine/run.js'),
    import('../../engine/gpus.js'),
  ]);

  const remote = await remoteExecutor(flags.executor, opened.pipeline, ws.root);

  const controller = new AbortController();
  let interrupts = 0;
  // Exit 130 after Ctrl-C (SIGINT) and 143 after SIGTERM: 128 + the signal, as shells report it.
  let stopCode: number = EXIT.interrupted;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(sig === 'SIGTERM' ? 143 : EXIT.interrupted);
    if (sig === 'SIGTERM') stopCode = 143;
    process.stderr.write(
      `\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping; running steps are being aborted (again to quit at once)\n`,
    );
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = !json && process.stdout.isTTY === true;
  const live = tty ? new LiveRenderer(process.stdout, colors(useColor(process.stdout))) : undefined;
  const plain = !tty && !json ? new PlainRenderer((text) => process.stdout.write(text)) : undefined;
  const finished = new FinishedNodes();
  const line = (l: RunJsonLine): void => void process.stdout.write(`${JSON.stringify(l)}\n`);
  const onEvent = (e: RunEvent): void => {
    finished.onEvent(e);
    live?.onEvent(e);
    plain?.onEvent(e);
    if (json) line(e);
  };

  try {
    const result = await runPipeline({
      pipeline: opened.pipeline,
      steps: opened.registry,
      resolve: opened.resolve,
      memo: opened.memo,
      workspace: ws,
      ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
      ...(flags.gpus !== undefined ? { gpus: parseDeviceList(flags.gpus) } : {}),
      ...remote,
      force: flags.force,
      only: flags.only,
      from: flags.from,
      keepGoing: flags['keep-going'],
      signal: controller.signal,
      onEvent,
      lockWaitMs: flags.wait * 1000,
    });
    live?.stop();
    opened.saveMemo();
    if (!result.ok) {
      const e = result.error;
      if (e.reason === 'locked') {
        throw new CliFailure(
          `workspace ${relative(process.cwd(), ws.root) || '.'} is in use by ${e.holder.command} (pid ${e.holder.pid} on ${e.holder.host}, since ${e.holder.since}); wait for it, or pass --wait SECONDS`,
          EXIT.busy,
        );
      }
      throw new CliFailure(e.message, EXIT.invalid);
    }
    const summary = result.value;
    if (json) line({ type: 'summary', ...summary });
    else await reportFailures(summary);
    if (summary.status === 'interrupted') {
      if (!json) process.stderr.write('interrupted: run the same command again to resume\n');
      throw new CliFailure('', stopCode);
    }
    if (summary.status === 'failed') throw new CliFailure('', EXIT.failed);
    if (tty) {
      const c = summary.counts;
      process.stdout.write(`done: ${c.ran} ran, ${c.cached} cached in ${duration(summary.durationMs)}\n`);
    }
    if (!json) {
      plain?.flush();
      const lines = finalOutputLines(opened.pipeline, ws, finished);
      if (lines.length > 0) process.stdout.write(`results:\n${lines.map((l) => `  ${l}\n`).join('')}`);
    }
    return undefined;
  } finally {
    live?.stop();
    plain?.flush();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The Slurm executor when asked for; Slurm hands out GPUs, so the local GPU pool must not limit them. */
async function remoteExecutor(
  flag: string | undefined,
  pipeline: Pipeline,
  root: string,
): Promise<{ executor: Executor; gpus: number[] } | Record<string, never>> {
  if ((flag ?? pipeline.executor?.kind ?? 'local') !== 'slurm') return {};
  const { createSlurmExecutor } = await import('../../engine/executors/slurm/index.js');
  const made = createSlurmExecutor(pipeline, root);
  if (!made.ok) throw new CliFailure(made.error, EXIT.invalid);
  return { executor: made.value, gpus: Array.from({ length: 64 }, (_, i) => i) };
}

async function reportFailures(summary: RunSummary): Promise<void> {
  if (summary.failures.length === 0) return;
  const c = colors(useColor(process.stderr));
  for (const f of summary.failures) {
    if (summary.status === 'interrupted') continue;
    const log = relative(process.cwd(), f.logFile);
    process.stderr.write(`${c.red('✗')} ${c.bold(f.node)} failed: ${f.error}\n`);
    const tail = await tailOf(f.logFile, 10);
    for (const line of tail) process.stderr.write(`  ${c.dim('│')} ${line}\n`);
    process.stderr.write(`  log: ${log}\n`);
  }
}
