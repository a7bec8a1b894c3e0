// One run of a pipeline as an object: it owns the run's journal, node logs, counts and committed results,
// and is the only place that emits the run's events and counts them. The scheduler drives it through
// `prepare` (is the node cached, may it run?) and `execute` (run it); `fail` reports a node that cannot
// start; `finish` writes the index and the closing event.
import { closeSync, openSync, rmSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Pipeline } from '../pipeline/types.js';
import type { Digest, NodeId } from '../util/brand.js';
import { DirPool } from './dir-pool.js';
import type { EvalContext } from './evaluate.js';
import type { RunCounts, RunEvent, RunStatus } from './events.js';
import { LocalExecutor } from './executors/local.js';
import { detectGpus, deviceNames, visibleDevices } from './gpus.js';
import { indexEntries, writeLatestRun } from './index-file.js';
import { InputDigester } from './input-digests.js';
import { NodeLogs, RunJournal } from './journal.js';
import type { NodeRunContext } from './node-runner.js';
import type * as NodeRunnerModule from './node-runner.js';
import type { PlanEntry, RecordSource } from './plan.js';
import { decideNode, planPipeline } from './plan.js';
import { recordSource } from './record-source.js';
import { RunResults } from './run-results.js';
import type { Grant } from './resources.js';
import { ResourcePool } from './resources.js';
import type { Prepared, Relay, ScheduleResult, SchedulerHooks } from './scheduler.js';
import type { Selection } from './selection.js';
import type { PipelineIndex } from './store.js';
import { Store } from './store.js';
import { pipelineKey } from './workspace.js';
import type { RunOptions, RunSummary } from './run.js';
import { thrownMessage } from '../util/thrown.js';
import { capYoungGeneration } from '../util/young-generation.js';

type Failure = RunSummary['failures'][number];
/** What running a node takes beside the session: loaded once the first node has to run. */
interface NodeRunner {
  readonly runNode: typeof NodeRunnerModule.runNode;
  readonly boundHeap: () => void;
}

async function loadRunner(): Promise<NodeRunner> {
  const [{ runNode }, { boundRunHeap }] = await Promise.all([
    import('./node-runner.js'),
    import('../util/heap-bound.js'),
  ]);
  return { runNode, boundHeap: boundRunHeap };
}

export class RunSession implements SchedulerHooks {
  readonly runId: string;
  readonly pool: ResourcePool;
  /** Aborted on Ctrl-C or SIGTERM: running steps stop and the run ends `interrupted`. */
  readonly signal: AbortSignal;
  readonly #opts: RunOptions;
  readonly #pipeline: Pipeline;
  readonly #selection: Selection;
  readonly #clock: () => number;
  readonly #started: number;
  readonly #store: Store;
  readonly #key: string;
  readonly #journal: RunJournal;
  readonly #logs: NodeLogs;
  readonly #digester: InputDigester;
  readonly #dirs: DirPool;
  readonly #previous: PipelineIndex | undefined;
  readonly #records: RecordSource;
  readonly #evalCtx: EvalContext;
  readonly #node: NodeRunContext;
  readonly #counts = { cached: 0, ran: 0, failed: 0, skipped: 0, interrupted: 0 };
  readonly #failures: Failure[] = [];
  /** Each node's result, trimmed to its fingerprint once read by every node that reads it. */
  readonly #results: RunResults;
  /** Nodes prepared so far. */
  #prepared = 0;
  readonly #decisions = new Map<NodeId, PlanEntry>();
  readonly #inflight = new Map<Digest, Promise<void>>();
  /** The node runner, loaded once a node has to run: a fully cached run never needs it. */
  #runner: Promise<NodeRunner> | undefined;
  #loadedRunner: NodeRunner | undefined;

  constructor(opts: RunOptions, selection: Selection) {
    const ws = opts.workspace;
    const env = opts.env ?? process.env;
    this.#opts = opts;
    this.#pipeline = opts.pipeline;
    this.#selection = selection;
    this.#clock = opts.clock ?? Date.now;
    this.signal = opts.signal ?? new AbortController().signal;
    this.#started = this.#clock();
    this.runId = newRunId(this.#started);
    // The run's records go to its own segment, named like its journal.
    this.#store = new Store(ws, this.runId);
    this.#key = pipelineKey(this.#pipeline.file);
    this.#journal = new RunJournal(ws, this.runId);
    this.#logs = new NodeLogs(ws, this.runId);
    this.#digester = new InputDigester(ws.statCache);
    this.#dirs = new DirPool(join(ws.tmp, `pool-${process.pid}`));
    try {
      writeLatestRun(ws, this.#key, this.runId);
    } catch {
      // Only a pointer for `moe status`, which otherwise finds the newest journal.
    }
    this.#previous = this.#store.readIndex(this.#key);
    this.#records = recordSource(this.#store, this.#previous);
    this.#results = new RunResults((fp) => this.#store.readRecord(fp));
    this.#evalCtx = {
      pipeline: this.#pipeline,
      steps: opts.steps,
      resolve: opts.resolve,
      env,
      digester: this.#digester,
      memo: opts.memo,
    };
    const cores = availableParallelism();
    this.pool = new ResourcePool({
      jobs: Math.max(1, opts.jobs ?? cores),
      cpu: opts.capacity?.cpu ?? cores,
      memoryBytes: opts.capacity?.memoryBytes ?? totalmem(),
      gpus: opts.gpus ?? detectGpus(env),
    });
    this.#node = this.#nodeRunContext(env);
  }

  /** Emits `run-start` and takes the committed results of nodes outside the selection; the nodes to run. */
  async start(): Promise<readonly NodeId[]> {
    const pipeline = this.#pipeline;
    const order = pipeline.order.filter((id) => this.#selection.selected.has(id));
    for (const id of order) this.#results.expectReader(pipeline.nodes.get(id)?.needs ?? []);
    this.#emit({
      type: 'run-start',
      runId: this.runId,
      pipeline: pipeline.name,
      file: pipeline.file,
      workspace: this.#opts.workspace.root,
      nodes: order,
      jobs: this.pool.capacity.jobs,
      ...(this.#opts.sweep !== undefined ? { sweep: this.#opts.sweep } : {}),
      time: this.#started,
    });
    // With a selection, nodes outside it are used only as committed results.
    if (order.length !== pipeline.order.length) {
      const all = await planPipeline(this.#evalCtx, this.#records, {
        selected: new Set(pipeline.order),
        forced: new Set(),
      });
      for (const entry of all) {
        if (!this.#selection.selected.has(entry.node) && entry.status === 'cached' && entry.record) {
          this.#results.take(entry.node, entry.record);
        }
      }
    }
    return order;
  }

  /**
   * Decides a node whose upstream nodes are done: cached, to run, or failed before it starts. What throws
   * while deciding (a plugin step's `inputs` returning something unusable) fails the node with its message.
   */
  async prepare(id: NodeId): Promise<Prepared> {
    let prepared: Prepared;
    try {
      prepared = await this.#prepare(id);
    } catch (e) {
      prepared = this.fail(id, `could not be prepared: ${thrownMessage(e)}`);
    }
    if (prepared.kind !== 'run') this.#finished(id);
    // A rerun decides thousands of cached nodes without running one (the heap bound checks as nodes
    // commit): their records and events survive scavenges, which would double the young generation.
    if (++this.#prepared % 64 === 0) capYoungGeneration();
    return prepared;
  }

  async #prepare(id: NodeId): Promise<Prepared> {
    const node = this.#pipeline.nodes.get(id);
    if (!node) return { kind: 'failed' };
    // Only with --only can an upstream node be missing here: it was not selected and is not committed.
    const missing = node.needs.filter((u) => !this.#results.has(u));
    if (missing.length > 0) {
      return this.fail(
        id,
        missing
          .map((u) => `upstream ${u} has no up-to-date result (run it first, or drop --only)`)
          .join('; '),
      );
    }
    const upstream = (u: NodeId): Digest | undefined => this.#results.get(u)?.outputs.digest;
    const forced = this.#selection.forced.has(id);
    let entry = await decideNode(this.#evalCtx, node, upstream, this.#records, forced);
    // Two nodes with one fingerprint would share a checkpoint dir: the second waits and reuses.
    const same = entry.evaluation && this.#inflight.get(entry.evaluation.fingerprint);
    if (same && entry.status === 'run') {
      await same;
      entry = await decideNode(this.#evalCtx, node, upstream, this.#records, forced);
    }
    if (entry.status === 'cached' && entry.record) {
      // A result known only through the index gets its record file back.
      try {
        this.#store.repairRecord(entry.record);
      } catch {
        // The index still names it; the next run tries again.
      }
      this.#results.take(id, entry.record);
      this.#counts.cached += 1;
      this.#emit({
        type: 'node-cached',
        node: id,
        fingerprint: entry.record.fingerprint,
        time: this.#clock(),
      });
      return { kind: 'cached' };
    }
    const impossible = this.pool.impossible(node.resources);
    if (entry.status !== 'run' || !entry.evaluation || impossible) {
      return this.fail(id, impossible ?? entry.reasons.join('; '));
    }
    this.#decisions.set(id, entry);
    this.#runner ??= loadRunner();
    // Its command may write its log there itself; a run with nothing to run makes no log folder.
    this.#logs.ensureDir();
    // A node that may retry must not take a slot before it holds one: its retry would start at once.
    const relays =
      entry.evaluation.step.relays === true && this.#node.executor.relays === true && node.retry.limit === 0;
    return { kind: 'run', resources: node.resources, relays };
  }

  /**
   * Runs a prepared node holding `grant` (or, with `relay.after`, next in line for it); true when it
   * committed its outputs, 'withdrawn' when it was stopped before its job started.
   */
  async execute(
    id: NodeId,
    grant: Grant,
    stepDone: () => void,
    relay?: Relay,
  ): Promise<boolean | 'withdrawn'> {
    const node = this.#pipeline.nodes.get(id);
    const entry = this.#decisions.get(id);
    // Needed once: a run of 10,000 nodes should not keep every node's evaluation to its end.
    this.#decisions.delete(id);
    if (!node || !entry?.evaluation) return false;
    // Loaded while the node waited for its slot; awaited (one turn) only by the first node to run.
    const runner = (this.#loadedRunner ??= await (this.#runner ??= loadRunner()));
    const fp = entry.evaluation.fingerprint;
    let release: () => void = () => undefined;
    this.#inflight.set(fp, new Promise<void>((r) => (release = r)));
    try {
      const record = await runner.runNode(
        this.#node,
        node,
        entry.evaluation,
        entry.reasons,
        grant,
        stepDone,
        relay,
      );
      if (record === 'withdrawn') return record;
      if (!record) return false;
      this.#results.commit(id, record);
      this.#counts.ran += 1;
      runner.boundHeap();
      return true;
    } finally {
      this.#inflight.delete(fp);
      release();
      this.#finished(id);
    }
  }

  /** `id` will not run in this run again: the results it read may be trimmed. */
  #finished(id: NodeId): void {
    this.#results.finished(this.#pipeline.nodes.get(id)?.needs ?? []);
  }

  /** Reports a node that cannot start (no attempt was made). */
  fail(id: NodeId, error: string): Prepared {
    this.#emit({
      type: 'node-failed',
      node: id,
      kind: 'error',
      error,
      attempt: 0,
      logFile: this.#logs.pathOf(id),
      durationMs: 0,
      time: this.#clock(),
    });
    return { kind: 'failed' };
  }

  /** Reports the skipped nodes, writes the index and the closing event; the run's summary. */
  finish(result: ScheduleResult): RunSummary {
    for (const [id, reason] of result.skipped) {
      this.#counts.skipped += 1;
      this.#emit({ type: 'node-skipped', node: id, reason, time: this.#clock() });
    }
    const status: RunStatus = this.signal.aborted
      ? 'interrupted'
      : result.failed.size > 0
        ? 'failed'
        : 'succeeded';
    const last = this.#previous?.nodes ?? {};
    // A node rerun with the same fingerprint (forced, or its stored outputs had changed) has a new record.
    const changed = [...this.#results.entries()].some(([id, r]) => last[id] !== r);
    try {
      if (changed || !this.#previous) {
        const head = { file: this.#pipeline.file, pipeline: this.#pipeline.name };
        const nodes = indexEntries(this.#pipeline, this.#previous, this.#results.entries());
        this.#store.writeIndexOf(this.#key, head, nodes);
      }
    } catch {
      // The records are the truth: the next run finds them by fingerprint and writes the index again,
      // and gc keeps every record newer than the newest index.
    }
    try {
      this.#digester.save();
    } catch {
      // Only a speed-up: the next run hashes its inputs again.
    }
    const durationMs = this.#clock() - this.#started;
    const { interrupted, ...rest } = this.#counts;
    const counts: RunCounts = status === 'interrupted' ? { ...rest, interrupted } : rest;
    this.#emit({ type: 'run-end', runId: this.runId, status, counts, durationMs, time: this.#clock() });
    return {
      runId: this.runId,
      status,
      counts,
      failures: this.#failures,
      journal: this.#journal.path,
      durationMs,
      records: this.#results.held(),
    };
  }

  /**
   * A failure stopped the run from starting nodes: jobs queued behind running ones must not start either
   * (their workers look for this file before starting them).
   */
  halt(): void {
    const file = this.#node.haltFile;
    if (file === undefined) return;
    try {
      closeSync(openSync(file, 'w'));
    } catch {
      // Without the file a job already queued behind a job that succeeded still starts: it runs as if it
      // had been admitted a moment before the failure, and its result is committed as usual.
    }
  }

  /** Closes the record segment, the journal, the node logs and the scratch directories. */
  close(): void {
    const halt = this.#node.haltFile;
    if (halt !== undefined) rmSync(halt, { force: true });
    this.#store.close();
    this.#journal.close();
    this.#logs.close();
    this.#dirs.close();
  }

  /** The file `halt` creates, beside the run's node logs. */
  #haltFile(): string {
    return join(dirname(this.#logs.pathOf('_')), '.halt');
  }

  #emit(event: RunEvent): void {
    this.#journal.record(event);
    this.#count(event);
    this.#opts.onEvent?.(event);
  }

  /** Keeps the counts, the failures and the node logs in step with the events. */
  #count(event: RunEvent): void {
    const logs = this.#logs;
    if (event.type === 'node-log') logs.write(event.node, event.level, event.message, event.time);
    else if (event.type === 'node-queued')
      logs.write(event.node, 'info', `job ${event.jobId} waits in the queue: ${event.reason}`, event.time);
    else if (event.type === 'node-retry') {
      const text = `attempt ${event.attempt} failed: ${event.error}; retrying in ${event.delayMs} ms`;
      logs.write(event.node, 'warn', text, event.time);
    } else if (event.type === 'node-failed') {
      // A node stopped by Ctrl-C or SIGTERM did not fail: it is counted apart and reruns next time.
      if (event.kind === 'aborted') this.#counts.interrupted += 1;
      else {
        this.#counts.failed += 1;
        this.#failures.push({ node: event.node, error: event.error, logFile: event.logFile });
      }
      logs.write(event.node, 'error', `failed (${event.kind}): ${event.error}`, event.time);
      logs.close(event.node);
    } else if (event.type === 'node-done') logs.close(event.node);
  }

  #nodeRunContext(env: Readonly<Record<string, string | undefined>>): NodeRunContext {
    const last = this.#previous?.nodes ?? {};
    const opts = this.#opts;
    const names = opts.gpus !== undefined ? opts.gpuNames : deviceNames(env['CUDA_VISIBLE_DEVICES'] ?? '');
    return {
      evalCtx: this.#evalCtx,
      store: this.#store,
      executor: this.#opts.executor ?? new LocalExecutor(),
      runId: this.runId,
      pipelineName: this.#pipeline.name,
      signal: this.signal,
      baseEnv: Object.fromEntries(
        Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      visibleDevices: (gpus) => visibleDevices(gpus, names),
      emit: (event) => this.#emit(event),
      logFile: (id) => this.#logs.pathOf(id),
      recordOf: (id) => this.#results.get(id),
      last: (id) => last[id],
      clock: this.#clock,
      dirs: this.#dirs,
      runStartedAt: this.#started,
      haltFile: this.#opts.keepGoing === true ? undefined : this.#haltFile(),
    };
  }
}

function newRunId(time: number): string {
  const stamp = new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${process.pid}`;
}
