// `moe run`: open the pipeline, run it in its workspace with a renderer subscribed, and choose the exit
// code (0 done, 1 a node failed, 2 invalid pipeline, 3 workspace busy, 130 interrupted, 143 after
// SIGTERM). A real run prints everything itself, its JSON included; `--dry-run` returns the plan for the
// caller to print.
import type { PlanJson } from '../../app/plan.js';
import type { RunProblem } from '../../app/run.js';
import { workspaceFor } from '../../app/workspace.js';
import type { RunSummary } from '../../engine/run.js';
import { deviceListProblem } from '../../engine/gpus.js';
import type { Workspace } from '../../engine/workspace.js';
import { CliFailure, EXIT } from '../failure.js';
import { thrownMessage } from '../../util/thrown.js';
import { RunOutput } from '../render/run-output.js';
import {
  openOrExit,
  remoteHolderHint,
  shownWorkspace,
  startChecksOrExit,
  sweepOrExit,
  unwritable,
} from './open.js';
import type { PlanFlags } from './plan.js';

export interface RunFlags extends PlanFlags {
  readonly jobs?: number | undefined;
  readonly gpus?: string | undefined;
  readonly 'keep-going': boolean;
  readonly 'dry-run': boolean;
  readonly wait: number;
  readonly executor?: string | undefined;
}

export async function runCommand(
  file: string,
  flags: RunFlags,
  json: boolean,
): Promise<PlanJson | undefined> {
  if (flags['dry-run']) return (await import('./plan.js')).planCommand(file, flags, json);
  const devices = flags.gpus === undefined ? undefined : deviceListProblem(flags.gpus);
  if (devices !== undefined) throw new CliFailure(`--gpus ${flags.gpus}: ${devices}`, EXIT.invalid);
  const ws = workspaceFor(file, flags.workspace);
  // The run writes the pipeline cache once its first job is out (runInWorkspace).
  const plain = await openOrExit(file, flags.param, ws, { deferCacheWrite: true });
  const { opened, swept } = await sweepOrExit(plain, flags.sweep, flags.param);
  await startChecksOrExit(opened);
  // The sweep is remembered once its run has the workspace (a run refused as busy is no sweep).
  const remember =
    swept === undefined
      ? undefined
      : (await import('../../app/sweep.js')).rememberSweep.bind(
          undefined,
          ws,
          plain.pipeline,
          swept,
          flags.param,
        );
  const [{ runInWorkspace }, { FinishedNodes, finalOutputs }] = await Promise.all([
    import('../../app/run.js'),
    import('../../app/final-outputs.js'),
  ]);
  const stop = new StopOnSignals();
  const out = new RunOutput(json);
  const finished = new FinishedNodes(opened.pipeline);
  try {
    const result = await runInWorkspace(opened, {
      jobs: flags.jobs,
      gpus: flags.gpus,
      executor: flags.executor,
      force: flags.force,
      only: flags.only,
      from: flags.from,
      keepGoing: flags['keep-going'],
      ...(swept !== undefined
        ? { sweep: { axes: swept.axes, variants: swept.variants.map((v) => v.label) } }
        : {}),
      lockWaitMs: flags.wait * 1000,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'run-start') rememberOrWarn(remember, e.runId);
        finished.onEvent(e);
        out.onEvent(e);
      },
    });
    out.stop();
    if (!result.ok) throw runFailure(result.error, ws, stop);
    await endOfRun(result.value, out, stop, json);
    out.succeeded(result.value, json ? [] : finalOutputs(ws, finished, result.value.records));
    return undefined;
  } finally {
    out.stop();
    stop.dispose();
  }
}

/** `moe compare` and `moe status` need the sweep remembered; a run goes on without it (a full disk). */
function rememberOrWarn(remember: ((runId: string) => void) | undefined, runId: string): void {
  try {
    remember?.(runId);
  } catch (e) {
    process.stderr.write(`warning: cannot remember this sweep for moe compare: ${(e as Error).message}\n`);
  }
}

/** Reports the summary; throws the exit code of a run that did not succeed. */
async function endOfRun(
  summary: RunSummary,
  out: RunOutput,
  stop: StopOnSignals,
  json: boolean,
): Promise<void> {
  await out.summary(summary, (f) => tailOf(f, 10));
  if (summary.status === 'interrupted') {
    if (!json) process.stderr.write('interrupted: run the same command again to resume\n');
    throw new CliFailure('', stop.exitCode);
  }
  if (summary.status === 'failed') throw new CliFailure('', EXIT.failed);
}

function runFailure(problem: RunProblem, ws: Workspace, stop: StopOnSignals): CliFailure {
  if (problem.reason === 'locked') {
    const h = problem.holder;
    // Ctrl-C or SIGTERM during --wait: the user stopped the wait, which "pass --wait" would not answer.
    if (stop.signal.aborted)
      return new CliFailure(
        `stopped while waiting for the workspace ${shownWorkspace(ws)} (in use by ${h.command}, pid ${h.pid} on ${h.host}); nothing ran`,
        stop.exitCode,
      );
    return new CliFailure(
      `workspace ${shownWorkspace(ws)} is in use by ${h.command} (pid ${h.pid} on ${h.host}, since ${h.since}); wait for it, or pass --wait SECONDS${remoteHolderHint(ws, h)}`,
      EXIT.busy,
    );
  }
  if (problem.reason === 'unwritable') return new CliFailure(unwritable(ws, problem.message), EXIT.invalid);
  return new CliFailure(problem.message, EXIT.invalid);
}

/** The last `n` lines of a log file, or nothing when it cannot be read. */
async function tailOf(path: string, n: number): Promise<string[]> {
  try {
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/**
 * Ctrl-C (SIGINT) and SIGTERM stop the run: the first aborts the running steps, a second quits at once.
 * The exit code is 128 + the signal, as shells report it: 130 after Ctrl-C, 143 after SIGTERM.
 */
class StopOnSignals {
  readonly #controller = new AbortController();
  #interrupts = 0;
  #exitCode: number = EXIT.interrupted;

  readonly #onSignal = (sig: NodeJS.Signals): void => {
    this.#interrupts += 1;
    if (this.#interrupts > 1) process.exit(sig === 'SIGTERM' ? 143 : EXIT.interrupted);
    if (sig === 'SIGTERM') this.#exitCode = 143;
    process.stderr.write(
      `\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping; running steps are being aborted (again to quit at once)\n`,
    );
    this.#controller.abort(new Error('interrupted'));
  };

  /**
   * An exception that escaped a step's code (thrown in a timer, a rejection nobody awaited) stops the run
   * as Ctrl-C does, with exit code 1: Node would otherwise end moe at once with its stack trace, the run's
   * journal left without its end.
   */
  readonly #onEscaped = (e: unknown): void => {
    this.#exitCode = EXIT.failed;
    if (this.#controller.signal.aborted) return;
    const at = placeOf(e);
    process.stderr.write(
      `\nerror: uncaught exception: ${thrownMessage(e)}${at ? ` (at ${at})` : ''}; stopping the run (a step must not throw outside the promise its run() returns)\n`,
    );
    this.#controller.abort(new Error('interrupted'));
  };

  constructor() {
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
    process.on('uncaughtException', this.#onEscaped);
    process.on('unhandledRejection', this.#onEscaped);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get exitCode(): number {
    return this.#exitCode;
  }

  dispose(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    process.off('uncaughtException', this.#onEscaped);
    process.off('unhandledRejection', this.#onEscaped);
  }
}

/** `path:line:col` of the first frame of an error's stack that is a file (not Node's own). */
function placeOf(e: unknown): string | undefined {
  const stack = e instanceof Error ? e.stack : undefined;
  const m = stack === undefined ? null : /(?:file:\/\/)?(\/[^\s()]+:\d+:\d+)/.exec(stack);
  return m?.[1];
}
