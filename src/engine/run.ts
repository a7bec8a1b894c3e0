// `moe run` as a service: lock the workspace, then let a `RunSession` plan node by node as upstream
// results arrive, run what must run, commit, and leave a journal, node logs and an updated index behind.
// Everything it has to say goes out as events.
import type { StepLookup } from '../contract/lookup.js';
import type { Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import type { ResolveFn } from './evaluate.js';
import type { EvaluationMemo } from './evaluation-memo.js';
import type { SweepOutline, RunCounts, RunEventListener, RunStatus } from './events.js';
import type { Executor } from './executors/executor.js';
import type { CommittedResult } from './records.js';
import type { LockBusy, LockUnwritable } from './lock.js';
import { acquireLock } from './lock.js';
import { RunSession } from './run-session.js';
import { schedule } from './scheduler.js';
import { selectNodes } from './selection.js';
import type { SelectionError } from './selection.js';
import type { Workspace } from './workspace.js';

export interface RunOptions {
  readonly pipeline: Pipeline;
  readonly steps: StepLookup;
  readonly resolve: ResolveFn;
  readonly workspace: Workspace;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * CPU cores and memory the running nodes may hold together. @default this machine's; a cluster
   * executor passes Infinity, since the cluster's own scheduler places each job.
   */
  readonly capacity?: { readonly cpu: number; readonly memoryBytes: number };
  /** At most this many nodes run at once. @default the number of CPU cores */
  readonly jobs?: number;
  /** GPU device ids to hand out. @default CUDA_VISIBLE_DEVICES, else the devices the driver lists */
  readonly gpus?: readonly number[];
  /** With `gpus`: each device's name (a GPU or MIG UUID) by its number, where the list gave names. */
  readonly gpuNames?: readonly string[];
  readonly force?: readonly string[];
  readonly only?: readonly string[];
  readonly from?: readonly string[];
  readonly keepGoing?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: RunEventListener;
  readonly executor?: Executor;
  /** How long to wait for another run holding the workspace lock. @default 0 (stop at once) */
  readonly lockWaitMs?: number;
  readonly clock?: () => number;
  /** The pipeline is a sweep's variants (see `expandSweep`): named in `run-start`. */
  readonly sweep?: SweepOutline;
  /** Static evaluations kept from earlier runs of this unchanged pipeline (see `EvaluationMemo`). */
  readonly memo?: EvaluationMemo;
}

export interface RunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  readonly counts: RunCounts;
  /** Nodes that failed (not those interrupted), with the error and the log file. */
  readonly failures: readonly { readonly node: NodeId; readonly error: string; readonly logFile: string }[];
  readonly journal: string;
  readonly durationMs: number;
  /**
   * The committed results the run still holds at its end (ran, cached, or outside a selection): its
   * record, or for a node this run ran, what later nodes read of it (the whole record is in the record
   * log). Every final node's is here; a node this run ran whose result every selected node downstream
   * has read since is not (`Store.readRecord` reads it back by the fingerprint the index gives).
   */
  readonly records: ReadonlyMap<NodeId, CommittedResult>;
}

export type RunFailure = LockBusy | LockUnwritable | SelectionError;

export async function runPipeline(opts: RunOptions): Promise<Result<RunSummary, RunFailure>> {
  const selection = selectNodes(opts.pipeline, {
    force: opts.force ?? [],
    only: opts.only ?? [],
    from: opts.from ?? [],
  });
  if (!selection.ok) return selection;
  const signal = opts.signal ?? new AbortController().signal;
  const lock = await acquireLock(opts.workspace.lockFile, {
    command: 'moe run',
    waitMs: opts.lockWaitMs ?? 0,
    signal,
  });
  if (!lock.ok) return lock;
  // A run that died (kill -9) may have left jobs running: they must end before a node runs again.
  const dead = lock.value.tookOverFrom;
  if (dead) {
    const { killGraceMs, stopLeftoverJobs } = await import('./leftovers.js');
    await stopLeftoverJobs(opts.workspace, killGraceMs(opts.env ?? process.env), dead.pid);
  }
  let session: RunSession | undefined;
  try {
    session = new RunSession({ ...opts, signal }, selection.value);
    const order = await session.start();
    const result = await schedule({
      order,
      needs: (id) => opts.pipeline.nodes.get(id)?.needs ?? [],
      pool: session.pool,
      keepGoing: opts.keepGoing ?? false,
      signal,
      hooks: session,
    });
    return ok(session.finish(result));
  } finally {
    session?.close();
    lock.value.release();
  }
}
