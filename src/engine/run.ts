// `moe run` as a service: lock the workspace, plan node by node as upstream results arrive, run what must
// run, commit, and leave a journal, node logs and an updated index behind. Everything it has to say
// goes out as events.
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { DirPool } from './dir-pool.js';
import type { Pipeline } from '../pipeline/types.js';
import type { StepLookup } from '../steps/registry.js';
import type { Digest, NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import type { EvalContext, ResolveFn } from './evaluate.js';
import type { RunCounts, RunEvent, RunEventListener, RunStatus } from './events.js';
import type { Executor } from './executors/executor.js';
import { LocalExecutor } from './executors/local.js';
import { detectGpus } from './gpus.js';
import { InputDigester } from './input-digests.js';
import { NodeLogs, RunJournal } from './journal.js';
import type { LockBusy } from './lock.js';
import { acquireLock } from './lock.js';
import { runNode } from './node-runner.js';
import type { NodeRunContext } from './node-runner.js';
import type { PlanEntry } from './plan.js';
import { decideNode, planPipeline } from './plan.js';
import type { NodeRecord } from './records.js';
import { ResourcePool } from './resources.js';
import { schedule } from './scheduler.js';
import type { Prepared } from './scheduler.js';
import { selectNodes } from './selection.js';
import type { SelectionError } from './selection.js';
import { Store } from './store.js';
import { indexRecords, writeLatestRun } from './index-file.js';
import type { Workspace } from './workspace.js';
import { pipelineKey } from './workspace.js';

export interface RunOptions {
  readonly pipeline: Pipeline;
  readonly steps: StepLookup;
  readonly resolve: ResolveFn;
  readonly workspace: Workspace;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** At most this many nodes run at once. @default the number of CPU cores */
  readonly jobs?: number;
  /** GPU device ids to hand out. @default CUDA_VISIBLE_DEVICES, else the devices the driver lists */
  readonly gpus?: readonly number[];
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
}

export interface RunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  readonly counts: RunCounts;
  /** Nodes that failed (not those interrupted), with the error and the log file. */
  readonly failures: readonly { readonly node: NodeId; readonly error: string; readonly logFile: string }[];
  readonly journal: string;
  readonly durationMs: number;
}

export type RunFailure = LockBusy | SelectionError;

export async function runPipeline(opts: RunOptions): Promise<Result<RunSummary, RunFailure>> {
  const { pipeline, workspace: ws } = opts;
  const clock = opts.clock ?? Date.now;
  const env = opts.env ?? process.env;
  const signal = opts.signal ?? new AbortController().signal;
  const selection = selectNodes(pipeline, {
    force: opts.force ?? [],
    only: opts.only ?? [],
    from: opts.from ?? [],
  });
  if (!selection.ok) return selection;

  const lock = await acquireLock(ws.lockFile, { command: 'moe run', waitMs: opts.lockWaitMs ?? 0, signal });
  if (!lock.ok) return lock;
  const started = clock();
  const runId = newRunId(started);
  const store = new Store(ws);
  const key = pipelineKey(pipeline.file);
  const journal = new RunJournal(ws, runId);
  const logs = new NodeLogs(ws, runId);
  const digester = new InputDigester(ws.statCache);
  const dirs = new DirPool(join(ws.tmp, `pool-${process.pid}`));
  const failures: { node: NodeId; error: string; logFile: string }[] = [];
  const committed = new Map<NodeId, NodeRecord>();
  const counts = { cached: 0, ran: 0, failed: 0, skipped: 0, interrupted: 0 };

  const emit = (event: RunEvent): void => {
    journal.record(event);
    if (event.type === 'node-log') logs.write(event.node, event.level, event.message, event.time);
    else if (event.type === 'node-retry') {
      logs.write(
        event.node,
        'warn',
        `attempt ${event.attempt} failed: ${event.error}; retrying in ${event.delayMs} ms`,
        event.time,
      );
    } else if (event.type === 'node-failed') {
      // A node stopped by Ctrl-C or SIGTERM did not fail: it is counted apart and reruns next time.
      if (event.kind === 'aborted') counts.interrupted += 1;
      else {
        counts.failed += 1;
        failures.push({ node: event.node, error: event.error, logFile: event.logFile });
      }
      logs.write(event.node, 'error', `failed (${event.kind}): ${event.error}`, event.time);
      logs.close(event.node);
    } else if (event.type === 'node-done') logs.close(event.node);
    opts.onEvent?.(event);
  };

  try {
    try {
      writeLatestRun(ws, key, runId);
    } catch {
      // Only a pointer for `moe status`, which otherwise finds the newest journal.
    }
    logs.ensureDir();
    const previous = store.readIndex(key);
    const lastRecords = previous?.nodes ?? {};
    // The index already holds the records of the last run: most lookups need no file read.
    const indexed = new Map(Object.values(lastRecords).map((r) => [r.fingerprint, r]));
    const evalCtx: EvalContext = { pipeline, steps: opts.steps, resolve: opts.resolve, env, digester };
    const records = {
      byFingerprint: (fp: Digest) => indexed.get(fp) ?? store.readRecord(fp),
      last: (id: NodeId) => lastRecords[id],
      hasOutputs: (r: NodeRecord) => store.hasOutputs(r),
    };
    const cores = availableParallelism();
    const pool = new ResourcePool({
      jobs: Math.max(1, opts.jobs ?? cores),
      cpu: cores,
      memoryBytes: totalmem(),
      gpus: opts.gpus ?? detectGpus(env),
    });
    const order = pipeline.order.filter((id) => selection.value.selected.has(id));
    emit({
      type: 'run-start',
      runId,
      pipeline: pipeline.name,
      file: pipeline.file,
      workspace: ws.root,
      nodes: order,
      jobs: pool.capacity.jobs,
      time: started,
    });

    // With a selection, nodes outside it are used only as committed results.
    if (order.length !== pipeline.order.length) {
      const all = await planPipeline(evalCtx, records, {
        selected: new Set(pipeline.order),
        forced: new Set(),
      });
      for (const entry of all) {
        if (!selection.value.selected.has(entry.node) && entry.status === 'cached' && entry.record) {
          committed.set(entry.node, entry.record);
        }
      }
    }

    const decisions = new Map<NodeId, PlanEntry>();
    const inflight = new Map<Digest, Promise<void>>();
    const baseEnv = Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const rc: NodeRunContext = {
      evalCtx,
      store,
      executor: opts.executor ?? new LocalExecutor(),
      runId,
      pipelineName: pipeline.name,
      signal,
      baseEnv,
      emit,
      logFile: (id) => logs.pathOf(id),
      recordOf: (id) => committed.get(id),
      last: (id) => lastRecords[id],
      clock,
      dirs,
      runStartedAt: started,
    };

    const prepare = async (id: NodeId): Promise<Prepared> => {
      const node = pipeline.nodes.get(id);
      if (!node) return { kind: 'failed' };
      const upstream = (u: NodeId): Digest | undefined => committed.get(u)?.outputs.digest;
      // Only with --only can an upstream node be missing here: it was not selected and is not committed.
      const missing = node.needs.filter((u) => !committed.has(u));
      if (missing.length > 0) {
        const error = missing
          .map((u) => `upstream ${u} has no up-to-date result (run it first, or drop --only)`)
          .join('; ');
        emit({
          type: 'node-failed',
          node: id,
          kind: 'error',
          error,
          attempt: 0,
          logFile: logs.pathOf(id),
          durationMs: 0,
          time: clock(),
        });
        return { kind: 'failed' };
      }
      let entry = await decideNode(evalCtx, node, upstream, records, selection.value.forced.has(id));
      // Two nodes with one fingerprint would share a checkpoint dir: the second waits and reuses.
      const same = entry.evaluation && inflight.get(entry.evaluation.fingerprint);
      if (same && entry.status === 'run') {
        await same;
        entry = await decideNode(evalCtx, node, upstream, records, selection.value.forced.has(id));
      }
      if (entry.status === 'cached' && entry.record) {
        // A result known only through the index gets its record file back.
        try {
          store.repairRecord(entry.record);
        } catch {
          // The index still names it; the next run tries again.
        }
        committed.set(id, entry.record);
        counts.cached += 1;
        emit({ type: 'node-cached', node: id, fingerprint: entry.record.fingerprint, time: clock() });
        return { kind: 'cached' };
      }
      const impossible = pool.impossible(node.resources);
      if (entry.status !== 'run' || !entry.evaluation || impossible) {
        const error = impossible ?? entry.reasons.join('; ');
        emit({
          type: 'node-failed',
          node: id,
          kind: 'error',
          error,
          attempt: 0,
          logFile: logs.pathOf(id),
          durationMs: 0,
          time: clock(),
        });
        return { kind: 'failed' };
      }
      decisions.set(id, entry);
      return { kind: 'run', resources: node.resources };
    };

    const execute = async (
      id: NodeId,
      grant: Parameters<typeof runNode>[4],
      stepDone: () => void,
    ): Promise<boolean> => {
      const node = pipeline.nodes.get(id);
      const entry = decisions.get(id);
      if (!node || !entry?.evaluation) return false;
      const fp = entry.evaluation.fingerprint;
      let release: () => void = () => undefined;
      inflight.set(fp, new Promise<void>((r) => (release = r)));
      try {
        const record = await runNode(rc, node, entry.evaluation, entry.reasons, grant, stepDone);
        if (record) {
          committed.set(id, record);
          counts.ran += 1;
          return true;
        }
        return false;
      } finally {
        inflight.delete(fp);
        release();
      }
    };

    const result = await schedule({
      order,
      needs: (id) => pipeline.nodes.get(id)?.needs ?? [],
      pool,
      keepGoing: opts.keepGoing ?? false,
      signal,
      hooks: { prepare, execute },
    });
    for (const [id, reason] of result.skipped) {
      counts.skipped += 1;
      emit({ type: 'node-skipped', node: id, reason, time: clock() });
    }
    const status: RunStatus = signal.aborted
      ? 'interrupted'
      : result.failed.size > 0
        ? 'failed'
        : 'succeeded';
    const changed = [...committed].some(([id, r]) => lastRecords[id]?.fingerprint !== r.fingerprint);
    try {
      if (changed || !previous) store.writeIndex(key, indexRecords(pipeline, previous, committed));
    } catch {
      // The records are the truth: the next run finds them by fingerprint and writes the index again,
      // and gc keeps every record newer than the newest index.
    }
    try {
      digester.save();
    } catch {
      // Only a speed-up: the next run hashes its inputs again.
    }
    const durationMs = clock() - started;
    const { interrupted, ...rest } = counts;
    const final: RunCounts = status === 'interrupted' ? { ...rest, interrupted } : rest;
    emit({ type: 'run-end', runId, status, counts: final, durationMs, time: clock() });
    return ok({ runId, status, counts: final, failures, journal: journal.path, durationMs });
  } finally {
    journal.close();
    logs.close();
    dirs.close();
    lock.value.release();
  }
}

function newRunId(time: number): string {
  const stamp = new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${process.pid}`;
}
