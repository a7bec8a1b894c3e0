// Runs a step in this process. The step's own failures become outcomes; the node's signal is the step's.
import { killGraceMs } from '../leftovers.js';
import { formatDuration } from '../../pipeline/units.js';
import { thrownMessage } from '../../util/thrown.js';
import type { JsonValue } from '../../pipeline/types.js';
import type { JobRelay, StepContext, StepLogger, UpstreamNode } from '../../contract/step.js';
import type { NodeId } from '../../util/brand.js';
import type { ExecOutcome, Executor, ExecutorEvent, NodeJob } from './executor.js';

export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly relays = true;

  async execute(
    job: NodeJob,
    signal: AbortSignal,
    emit: (event: ExecutorEvent) => void,
  ): Promise<ExecOutcome> {
    const ctx = new LocalContext(job, signal, emit);
    const graceMs = 2 * killGraceMs(job.env) + 1000;
    // A step's promise alone does not keep Node running: one that never settles (and starts nothing) would
    // let the process exit mid-run with code 13 and no message.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      const result = await untilStopped(job.step.run(ctx), signal, graceMs, (message) =>
        emit({ type: 'log', level: 'error', message }),
      );
      if (signal.aborted) return { ok: false, kind: 'aborted', error: abortMessage(signal) };
      const unstorable = notJson(result?.summary);
      if (unstorable !== undefined) {
        return {
          ok: false,
          kind: 'permanent',
          error: `the step's summary cannot be stored as JSON (${unstorable}): run() must return plain numbers, strings, lists and objects`,
        };
      }
      const metrics = finiteMetrics(result?.metrics);
      return { ok: true, summary: result?.summary, ...(metrics !== undefined ? { metrics } : {}) };
    } catch (e) {
      if (signal.aborted) return { ok: false, kind: 'aborted', error: abortMessage(signal) };
      const error = thrownMessage(e);
      return { ok: false, kind: permanent(e) ? 'permanent' : 'error', error };
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/**
 * The step's promise, or, once `signal` aborts and the step has not settled `graceMs` later, a rejection
 * (logged through `say`): a step that ignores its signal cannot hold a timed-out node or a stopped run
 * forever.
 */
function untilStopped<T>(
  running: Promise<T>,
  signal: AbortSignal,
  graceMs: number,
  say: (message: string) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const given = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => {
        const message = `the step did not stop within ${formatDuration(graceMs)} of being aborted; its run() must reject once ctx.signal aborts`;
        say(message);
        reject(new Error(message));
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([running, given]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  });
}

/**
 * A step's context in this process. A class, not an object literal: a literal with the lazy `upstream`
 * getter is a dictionary of its own (about 1 KB a node, kept as long as the step runs), where instances
 * of a class share one hidden class and the getter lives on the prototype.
 */
class LocalContext implements StepContext<JsonValue> {
  readonly nodeId: NodeId;
  readonly with: JsonValue;
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly sharedCacheDir: string;
  readonly tmpDir: string;
  readonly pipelineDir: string;
  readonly logFile: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  readonly env: Readonly<Record<string, string>>;
  readonly gpus: readonly number[];
  readonly resources: NodeJob['resources'];
  readonly relay?: JobRelay;
  readonly progress: StepContext['progress'];
  readonly #job: NodeJob;

  constructor(job: NodeJob, signal: AbortSignal, emit: (event: ExecutorEvent) => void) {
    this.nodeId = job.node;
    this.with = job.with;
    this.outDir = job.outDir;
    this.checkpointDir = job.checkpointDir;
    this.sharedCacheDir = job.sharedCacheDir;
    this.tmpDir = job.tmpDir;
    this.pipelineDir = job.pipelineDir;
    this.logFile = job.logFile;
    this.attempt = job.attempt;
    this.signal = signal;
    // A plugin's message may be anything (an object, a number): the log takes its text.
    this.log = {
      info: (message) => emit({ type: 'log', level: 'info', message: text(message) }),
      warn: (message) => emit({ type: 'log', level: 'warn', message: text(message) }),
      error: (message) => emit({ type: 'log', level: 'error', message: text(message) }),
    };
    this.env = job.env;
    this.gpus = job.gpus;
    this.resources = job.resources;
    if (job.relay !== undefined) this.relay = job.relay;
    this.progress = (progress) =>
      emit({
        type: 'progress',
        progress:
          progress.message === undefined || typeof progress.message === 'string'
            ? progress
            : { ...progress, message: text(progress.message) },
      });
    this.#job = job;
  }

  /** Read through, so that a step that never looks at its ancestors does not pay for listing them. */
  get upstream(): Readonly<Record<string, UpstreamNode>> {
    return this.#job.upstream;
  }
}

/** Why `value` has no JSON form (a cycle, a BigInt), or undefined when it has one. */
function notJson(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (e) {
    return thrownMessage(e).split('\n')[0];
  }
}

/** A message as text: a string as it is, anything else as JSON (or its String form). */
function text(message: unknown): string {
  if (typeof message === 'string') return message;
  try {
    return JSON.stringify(message) ?? String(message);
  } catch {
    return String(message);
  }
}

/** The finite numbers of a step's metrics (NaN and Infinity have no JSON form); undefined when none. */
function finiteMetrics(m: Readonly<Record<string, number>> | undefined): Record<string, number> | undefined {
  if (m === undefined || m === null || typeof m !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A failure the step marked as one no retry can mend (PermanentStepError, or any error with `retryable: false`). */
function permanent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false;
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
}
