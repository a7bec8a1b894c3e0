// One node, from "ready to run" to "committed" (or failed): attempts with retries and backoff, a timeout
// per attempt, the staging/tmp/checkpoint directories, the declared-output check, and the commit.
import { existsSync, mkdirSync, rmSync, statfsSync } from 'node:fs';
import type { DirPool } from './dir-pool.js';
import { join } from 'node:path';
import type { JsonValue, PipelineNode } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { sleep } from '../util/sleep.js';
import { formatDuration } from '../pipeline/units.js';
import { err, ok } from '../util/result.js';
import type { EvalContext, Evaluation } from './evaluate.js';
import { resolveNodeWith } from './evaluate.js';
import type { FailureKind, RunEvent } from './events.js';
import type { ExecOutcome, Executor, NodeJob } from './executors/executor.js';
import type { CommittedResult, NodeRecord } from './records.js';
import type { Grant } from './resources.js';
import type { Relay } from './scheduler.js';
import { checkRelativePath } from './safe-path.js';
import type { Store } from './store.js';
import { OutputError } from './store.js';
import { checkWith, checkWithLoaded } from './with-schema.js';
import { safeName } from './workspace.js';
import type { JobRelay, UpstreamNode } from '../contract/step.js';
import { EnvCopier } from '../util/env-copy.js';
import { longTimeout } from '../util/long-timeout.js';
import type { LongTimeout } from '../util/long-timeout.js';

export interface NodeRunContext {
  readonly evalCtx: EvalContext;
  readonly store: Store;
  readonly executor: Executor;
  readonly runId: string;
  readonly pipelineName: string;
  readonly signal: AbortSignal;
  readonly baseEnv: Readonly<Record<string, string>>;
  /** A node's CUDA_VISIBLE_DEVICES for the devices it was granted. */
  readonly visibleDevices: (gpus: readonly number[]) => string;
  readonly emit: (event: RunEvent) => void;
  readonly logFile: (node: NodeId) => string;
  /** The committed record of an upstream node in this run. */
  readonly recordOf: (node: NodeId) => CommittedResult | undefined;
  readonly last: (node: NodeId) => NodeRecord | undefined;
  readonly clock: () => number;
  /** Recycles the empty scratch and checkpoint directories attempts leave behind. */
  readonly dirs: DirPool;
  /** When this run started (clock time): results committed before it were reused, not run. */
  readonly runStartedAt: number;
  /**
   * Created when the run stops starting nodes after a failure; a queued job does not start once it
   * exists. Undefined with `--keep-going`, where a queued job starts whatever happened before it.
   */
  readonly haltFile: string | undefined;
}

interface AttemptFailure {
  readonly kind: FailureKind;
  readonly error: string;
}

/** Where a node stands: when it started (a follower: when its job did) and its attempt's start event. */
interface NodeState {
  started: number;
  attempt: number;
  /** Emits the current attempt's `node-start` unless it has been. */
  announce: () => void;
}

/**
 * Runs the node until it commits or gives up; returns its record, or undefined when it failed. It never
 * throws: whatever goes wrong (a full disk under the record, an unreadable output) ends in `node-failed`
 * with its cause. With `relay.after` the node is a follower: its first attempt queues its job behind that
 * job and starts (`node-start`, its timeout) when the job does; stopped before that, it is 'withdrawn'
 * and emits nothing.
 */
export async function runNode(
  rc: NodeRunContext,
  node: PipelineNode,
  evaluation: Evaluation,
  reasons: readonly string[],
  grant: Grant,
  stepDone: () => void = () => undefined,
  relay?: Relay,
): Promise<NodeRecord | undefined | 'withdrawn'> {
  const state: NodeState = { started: rc.clock(), attempt: 0, announce: () => undefined };
  try {
    return await attempts(rc, node, evaluation, reasons, grant, stepDone, relay, state);
  } catch (e) {
    stepDone();
    state.announce();
    const error = `moe could not finish the node: ${(e as Error).message}`;
    emitFailed(rc, node, 'internal', error, state.attempt, state.started);
    return undefined;
  }
}

function emitFailed(
  rc: NodeRunContext,
  node: PipelineNode,
  kind: FailureKind,
  error: string,
  attempt: number,
  started: number,
): void {
  rc.emit({
    type: 'node-failed',
    node: node.id,
    kind: rc.signal.aborted ? 'aborted' : kind,
    error,
    attempt,
    logFile: rc.logFile(node.id),
    durationMs: rc.clock() - started,
    time: rc.clock(),
  });
}

/** How one attempt starts: at once, or queued behind another node's job (`after`). */
interface AttemptStart {
  readonly after: unknown;
  /** Offers the attempt's running job to a follower; undefined when the node may end before its job. */
  readonly lead: ((job: unknown) => void) | undefined;
  /** For a queued attempt: tells the scheduler how to start its job elsewhere (see Relay.queued). */
  readonly queued: ((startElsewhere: () => boolean) => void) | undefined;
  /** Emits `node-start` (once). */
  readonly announce: () => void;
  readonly announced: () => boolean;
  /** Set when the attempt's queued job was withdrawn before it started (the run stopped after a failure). */
  withdrawn: boolean;
}

async function attempts(
  rc: NodeRunContext,
  node: PipelineNode,
  evaluation: Evaluation,
  reasons: readonly string[],
  grant: Grant,
  stepDone: () => void,
  relay: Relay | undefined,
  state: NodeState,
): Promise<NodeRecord | undefined | 'withdrawn'> {
  const attempts = node.retry.limit + 1;
  for (let attempt = 1; ; attempt++) {
    state.attempt = attempt;
    const after = attempt === 1 ? relay?.after : undefined;
    const { announce, announced } = announcer(rc, node, evaluation, reasons, grant, attempt, after, state);
    state.announce = announce;
    if (after === undefined) announce();
    // Only a job that neither a timeout nor a retry can end early may have another queued behind it.
    const leads = relay !== undefined && node.timeoutMs === undefined && attempt === attempts;
    const start: AttemptStart = {
      after,
      lead: leads ? (job) => relay.lead(job) : undefined,
      queued: after === undefined ? undefined : (startElsewhere) => relay?.queued(startElsewhere),
      announce,
      announced,
      withdrawn: false,
    };
    const result = await attemptOnce(rc, node, evaluation, grant, attempt, stepDone, start);
    if (result === 'withdrawn') return result;
    const started = state.started;
    if (result.ok) {
      const record: NodeRecord = {
        format: 1,
        fingerprint: evaluation.fingerprint,
        node: node.id,
        pipeline: rc.pipelineName,
        fields: evaluation.fields,
        outputs: result.value.outputs,
        finishedAt: new Date(rc.clock()).toISOString(),
        durationMs: rc.clock() - started,
        ...(result.value.summary ? { summary: result.value.summary } : {}),
        ...(result.value.metrics ? { metrics: result.value.metrics } : {}),
      };
      try {
        rc.store.writeRecord(record);
      } catch (e) {
        // The outputs are in the store but the node is not done: it reruns next time.
        const error = `could not write the node's record: ${(e as Error).message}`;
        emitFailed(rc, node, 'internal', error, attempt, started);
        return undefined;
      }
      rc.dirs.release(`${rc.store.ws.checkpoints}/${evaluation.fingerprint}`);
      rc.emit({
        type: 'node-done',
        node: node.id,
        fingerprint: evaluation.fingerprint,
        outputs: record.outputs.digest,
        unchanged: rc.last(node.id)?.outputs.digest === record.outputs.digest,
        durationMs: record.durationMs,
        summary: result.value.summary,
        ...(result.value.metrics ? { metrics: result.value.metrics } : {}),
        time: rc.clock(),
      });
      return record;
    }
    const failure = result.error;
    const again = attempt < attempts ? await retryGrant(rc, node, failure, attempt, grant, relay) : undefined;
    if (again !== undefined) {
      grant = again;
      continue;
    }
    emitFailed(rc, node, failure.kind, finalError(failure, attempt < attempts), attempt, started);
    return undefined;
  }
}

/**
 * After a failed attempt with retries left: waits out the backoff and then for the node's turn; the grant
 * for the next attempt, or undefined when the node gives up (a failure no retry mends, an interruption).
 * The backoff holds no slot, cores or GPUs: other nodes use them meanwhile, and the next attempt waits for
 * them as a ready node does (it may get other GPUs).
 */
async function retryGrant(
  rc: NodeRunContext,
  node: PipelineNode,
  failure: AttemptFailure,
  attempt: number,
  grant: Grant,
  relay: Relay | undefined,
): Promise<Grant | undefined> {
  if (!retryable(failure.kind) || rc.signal.aborted) return undefined;
  const delayMs = node.retry.backoffMs * 2 ** (attempt - 1);
  rc.emit({ type: 'node-retry', node: node.id, attempt, error: failure.error, delayMs, time: rc.clock() });
  relay?.pause();
  if (!(await sleep(delayMs, rc.signal))) return undefined;
  return relay === undefined ? grant : relay.resume();
}

/** The node's error: one whose `retry:` would have tried again says why it did not. */
function finalError(failure: AttemptFailure, retriesLeft: boolean): string {
  return failure.kind === 'permanent' && retriesLeft ? `not retried: ${failure.error}` : failure.error;
}

/**
 * Whether another attempt may mend a failure: not an interruption, not moe's own error (rerunning the step
 * does not mend the workspace), not one the step called permanent (its program is not installed).
 */
function retryable(kind: FailureKind): boolean {
  return kind !== 'aborted' && kind !== 'internal' && kind !== 'permanent';
}

/** Emits an attempt's `node-start` once; for a follower (`after`), its start time is then. */
function announcer(
  rc: NodeRunContext,
  node: PipelineNode,
  evaluation: Evaluation,
  reasons: readonly string[],
  grant: Grant,
  attempt: number,
  after: unknown,
  state: NodeState,
): { announce: () => void; announced: () => boolean } {
  let announced = false;
  const announce = (): void => {
    if (announced) return;
    announced = true;
    // A follower starts when its job does, not when it was admitted.
    if (after !== undefined) state.started = rc.clock();
    rc.emit({
      type: 'node-start',
      node: node.id,
      fingerprint: evaluation.fingerprint,
      attempt,
      reasons,
      gpus: grant.gpus,
      logFile: rc.logFile(node.id),
      time: rc.clock(),
    });
  };
  return { announce, announced: () => announced };
}

interface AttemptSuccess {
  readonly outputs: NodeRecord['outputs'];
  readonly summary: Readonly<Record<string, number | string | boolean>> | undefined;
  readonly metrics?: Readonly<Record<string, number>>;
}

type AttemptResult = Result<AttemptSuccess, AttemptFailure>;

/** Where one attempt works: staging (its outputs), scratch, checkpoints, the step type's shared cache. */
interface AttemptDirs {
  readonly outDir: string;
  readonly tmpDir: string;
  readonly checkpointDir: string;
  readonly sharedCacheDir: string;
}

/** What an attempt needs before the step starts. */
interface ReadyAttempt {
  readonly withValue: JsonValue;
  readonly declared: Readonly<Record<string, string>>;
  readonly dirs: AttemptDirs;
}

async function attemptOnce(
  rc: NodeRunContext,
  node: PipelineNode,
  evaluation: Evaluation,
  grant: Grant,
  attempt: number,
  stepDone: () => void,
  start: AttemptStart,
): Promise<AttemptResult | 'withdrawn'> {
  const fail = (kind: FailureKind, error: string): AttemptResult => {
    start.announce();
    rc.emit({ type: 'node-log', node: node.id, level: 'error', message: error, time: rc.clock() });
    return err({ kind, error });
  };
  const ready = await readyAttempt(rc, node, evaluation, attempt);
  if (!ready.ok) return fail(ready.error.kind, ready.error.error);
  const run = await runStep(rc, node, evaluation.step, ready.value, grant, attempt, start);
  if (!start.announced() && !run.outcome.ok && (rc.signal.aborted || start.withdrawn)) {
    // A follower stopped or withdrawn before its job started: it never ran.
    discard(rc, ready.value.dirs);
    return 'withdrawn';
  }
  start.announce();
  return settleAttempt(rc, ready.value, run, stepDone, fail);
}

/** Drops a failed attempt's outputs and scratch directory (its checkpoints stay for the next). */
function discard(rc: NodeRunContext, dirs: AttemptDirs): void {
  rc.dirs.release(dirs.tmpDir);
  rmSync(dirs.outDir, { recursive: true, force: true });
}

/** Attempts this process has made staging folders for. */
let attemptFolders = 0;

/** Resolves and checks the node's `with`, lists its outputs, and makes the attempt's directories. */
async function readyAttempt(
  rc: NodeRunContext,
  node: PipelineNode,
  evaluation: Evaluation,
  attempt: number,
): Promise<Result<ReadyAttempt, AttemptFailure>> {
  const ws = rc.store.ws;
  const step = evaluation.step;
  const resolved = resolveNodeWith(rc.evalCtx, node, step, (up, name) => {
    const rec = rc.recordOf(up);
    return (rec && rc.store.outputPath(rec, name)) ?? join(ws.store, 'missing', up, name);
  });
  if (!resolved.ok) return err({ kind: 'error', error: resolved.error });
  const withValue: JsonValue = resolved.value.value;
  const valid = checkWithLoaded(step, withValue, node.with) ?? (await checkWith(step, withValue, node.with));
  if (!valid.ok) return err({ kind: 'error', error: valid.error });
  const declared = declaredOutputs(step.outputs.bind(step), withValue);
  if (!declared.ok) return err({ kind: 'error', error: declared.error });

  // Unique per attempt in this process: two nodes with one fingerprint (identical commands) may run
  // side by side, and one's commit must not take or wipe the other's folder.
  const tag = `${evaluation.fingerprint.slice(0, 16)}-${process.pid}-${attempt}-${++attemptFolders}`;
  // Plain segments under the workspace's normalised folders: no `join` (and its normalising) per node.
  const outDir = `${ws.staging}/${tag}`;
  const checkpointDir = `${ws.checkpoints}/${evaluation.fingerprint}`;
  const sharedCacheDir = `${ws.cache}/steps/${safeName(step.name)}`;
  let tmpDir: string | undefined;
  try {
    rc.store.ensureStaging();
    rc.store.ensureDir(ws.tmp);
    rc.store.ensureDir(ws.checkpoints);
    rc.store.ensureDir(sharedCacheDir);
    freshDir(outDir);
    // An empty scratch directory from the run's pool, used where it lies.
    tmpDir = rc.dirs.take();
    rc.dirs.acquire(checkpointDir);
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    if (tmpDir !== undefined) rc.dirs.release(tmpDir);
    return err({ kind: 'internal', error: `could not make the node's directories: ${(e as Error).message}` });
  }
  return ok({ withValue, declared: declared.value, dirs: { outDir, tmpDir, checkpointDir, sharedCacheDir } });
}

interface StepRun {
  readonly outcome: ExecOutcome;
  /** Set when the node's own timeout (not the run's signal) stopped it. */
  readonly timedOut: string | undefined;
}

/** Runs the step through the executor under the node's timeout, passing its logs and progress on. */
async function runStep(
  rc: NodeRunContext,
  node: PipelineNode,
  step: Evaluation['step'],
  ready: ReadyAttempt,
  grant: Grant,
  attempt: number,
  start: AttemptStart,
): Promise<StepRun> {
  const { outDir, tmpDir, checkpointDir, sharedCacheDir } = ready.dirs;
  const clock = attemptClock(rc.signal, node.timeoutMs);
  // A queued attempt's time starts with its job.
  if (start.after === undefined) clock.arm();
  const relay =
    step.relays === true && rc.executor.relays === true ? jobRelay(start, clock.arm, rc.haltFile) : undefined;
  let outcome: ExecOutcome;
  try {
    outcome = await rc.executor.execute(
      new AttemptJob(
        {
          node: node.id,
          step,
          with: ready.withValue,
          attempt,
          outDir,
          checkpointDir,
          sharedCacheDir,
          tmpDir,
          pipelineDir: rc.evalCtx.pipeline.dir,
          logFile: rc.logFile(node.id),
          env: nodeEnv.copy(rc.baseEnv, [
            outDir,
            node.id,
            checkpointDir,
            tmpDir,
            rc.visibleDevices(grant.gpus),
          ]),
          gpus: grant.gpus,
          resources: node.resources,
        },
        relay,
        // Walking every ancestor costs time per node that most steps never use: done on first read.
        () => upstreamOf(rc, node),
      ),
      clock.signal,
      (event) => {
        start.announce();
        if (event.type === 'log') {
          rc.emit({
            type: 'node-log',
            node: node.id,
            level: event.level,
            message: event.message,
            time: rc.clock(),
          });
        } else if (event.type === 'running') {
          clock.arm();
        } else if (event.type === 'queued') {
          // Time in a cluster's queue is not the attempt's: its timeout starts again when the job does.
          clock.hold();
          rc.emit({
            type: 'node-queued',
            node: node.id,
            jobId: event.jobId,
            reason: event.reason,
            time: rc.clock(),
          });
        } else rc.emit({ type: 'node-progress', node: node.id, progress: event.progress, time: rc.clock() });
      },
    );
  } finally {
    clock.clear();
  }
  const timedOut = clock.timedOut();
  return { outcome, timedOut };
}

/**
 * A node's job as the executor gets it. A class, not an object literal: a literal with the lazy
 * `upstream` getter is a dictionary of its own (about 1 KB a node, kept while the job runs), where
 * instances share one hidden class and the getter lives on the prototype.
 */
class AttemptJob implements NodeJob {
  readonly node: NodeId;
  readonly step: NodeJob['step'];
  readonly with: JsonValue;
  readonly attempt: number;
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly sharedCacheDir: string;
  readonly tmpDir: string;
  readonly pipelineDir: string;
  readonly logFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly gpus: readonly number[];
  readonly resources: NodeJob['resources'];
  readonly relay?: JobRelay;
  #upstream: Readonly<Record<string, UpstreamNode>> | undefined;
  #list: (() => Readonly<Record<string, UpstreamNode>>) | undefined;

  constructor(
    job: Omit<NodeJob, 'upstream' | 'relay'>,
    relay: JobRelay | undefined,
    upstream: () => Readonly<Record<string, UpstreamNode>>,
  ) {
    this.node = job.node;
    this.step = job.step;
    this.with = job.with;
    this.attempt = job.attempt;
    this.outDir = job.outDir;
    this.checkpointDir = job.checkpointDir;
    this.sharedCacheDir = job.sharedCacheDir;
    this.tmpDir = job.tmpDir;
    this.pipelineDir = job.pipelineDir;
    this.logFile = job.logFile;
    this.env = job.env;
    this.gpus = job.gpus;
    this.resources = job.resources;
    if (relay !== undefined) this.relay = relay;
    this.#list = upstream;
  }

  get upstream(): Readonly<Record<string, UpstreamNode>> {
    if (this.#upstream === undefined) {
      this.#upstream = (this.#list as () => Readonly<Record<string, UpstreamNode>>)();
      this.#list = undefined;
    }
    return this.#upstream;
  }
}

/** The step's relay: a started job starts the attempt (event, timer) and may lead a follower. */
function jobRelay(start: AttemptStart, arm: () => void, haltFile: string | undefined): JobRelay {
  return {
    after: start.after,
    haltFile,
    started: (job) => {
      start.announce();
      arm();
      if (job !== undefined) start.lead?.(job);
    },
    withdrawn: () => {
      start.withdrawn = true;
    },
    queued: (startElsewhere) => start.queued?.(startElsewhere),
  };
}

/**
 * An attempt's signal: the run's, or with a timeout the run's combined with a timer started by `arm`
 * (`hold` stops it until the next `arm`: while a cluster job waits in the queue).
 * Without a timeout the run's own signal serves: a controller and a combined signal per attempt cost time
 * and memory.
 */
function attemptClock(
  runSignal: AbortSignal,
  timeoutMs: number | undefined,
): {
  signal: AbortSignal;
  arm: () => void;
  hold: () => void;
  clear: () => void;
  timedOut: () => string | undefined;
} {
  if (timeoutMs === undefined) {
    const nothing = (): undefined => undefined;
    return { signal: runSignal, arm: nothing, hold: nothing, clear: nothing, timedOut: nothing };
  }
  const timeout = new AbortController();
  let timer: LongTimeout | undefined;
  return {
    signal: AbortSignal.any([runSignal, timeout.signal]),
    arm: () => {
      timer ??= longTimeout(
        () => timeout.abort(new Error(`timed out after ${formatDuration(timeoutMs)}`)),
        timeoutMs,
      );
    },
    hold: () => {
      if (timeout.signal.aborted) return;
      timer?.clear();
      timer = undefined;
    },
    clear: () => timer?.clear(),
    timedOut: () =>
      timeout.signal.aborted && !runSignal.aborted
        ? String((timeout.signal.reason as Error).message)
        : undefined,
  };
}

/** After the step: a failure or missing outputs fail the attempt; otherwise the outputs are committed. */
async function settleAttempt(
  rc: NodeRunContext,
  ready: ReadyAttempt,
  run: StepRun,
  stepDone: () => void,
  fail: (kind: FailureKind, error: string) => AttemptResult,
): Promise<AttemptResult> {
  const { outDir, tmpDir } = ready.dirs;
  const { outcome } = run;
  if (!outcome.ok) {
    // Asked before the outputs are removed, while the disk is as the step left it.
    const full = outcome.kind === 'error' ? fullDiskNote(rc.store.ws.root) : '';
    rc.dirs.release(tmpDir);
    rmSync(outDir, { recursive: true, force: true });
    if (run.timedOut !== undefined) return fail('timeout', run.timedOut + full);
    // Stopped while this run goes on: something outside moe stopped the job (a Slurm job's scancel, time
    // limit or preemption), a failure of the node (counted, listed, retried), not an interruption.
    if (outcome.kind === 'aborted' && !rc.signal.aborted)
      return fail('error', `${outcome.error}: the job was stopped from outside moe`);
    return fail(outcome.kind, outcome.error + full);
  }
  const missing = Object.entries(ready.declared).filter(([, rel]) => !existsSync(join(outDir, rel)));
  if (missing.length > 0) {
    rc.dirs.release(tmpDir);
    rmSync(outDir, { recursive: true, force: true });
    const list = missing.map(([name, rel]) => `${name} (${rel})`).join(', ');
    const them = missing.length > 1 ? 'them' : 'it';
    return fail(
      'missing-output',
      `declared output${missing.length > 1 ? 's' : ''} missing: ${list}; the step ended without writing ${them} in its output folder ($MOE_OUT): write ${them} there, or correct the path`,
    );
  }
  // The step is finished and succeeded: what is left is this process's bookkeeping, so its job slot and
  // resources go to the next node now, and the commit below overlaps that node's start.
  stepDone();
  // The node that took the slot reaches its job's start within this turn of the event loop; the commit
  // waits for the next, so a job slot never idles while this process hashes and renames.
  await new Promise<void>((resolve) => setImmediate(resolve));
  rc.dirs.release(tmpDir);
  try {
    const { digest, stamp } = await rc.store.commitOutputs(outDir);
    return ok({
      outputs: { digest, paths: ready.declared, stamp },
      summary: outcome.summary,
      ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
    });
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    if (e instanceof OutputError) return fail('error', e.message);
    // Not retried: the slot is given away, and rerunning the step does not mend the workspace.
    return fail('internal', `could not commit outputs: ${(e as Error).message}`);
  }
}

/**
 * When the workspace's file system had no room left as a step failed, says so: the step's own message
 * about it ("No space left on device") may itself have found no room in the log.
 */
function fullDiskNote(dir: string): string {
  try {
    const fs = statfsSync(dir);
    if (fs.bavail * fs.bsize >= FULL_BYTES) return '';
    return ` (the workspace's file system was full when the step ended: ${fs.bavail * fs.bsize} bytes free of ${fs.blocks * fs.bsize})`;
  } catch {
    return '';
  }
}

/** Each attempt's environment: the run's, with the node's folders (one hidden class for all; see EnvCopier). */
const nodeEnv = new EnvCopier([
  'MOE_OUT',
  'MOE_NODE',
  'MOE_CHECKPOINT_DIR',
  'MOE_TMP',
  'CUDA_VISIBLE_DEVICES',
]);

/** Less room than this counts as a full disk. */
const FULL_BYTES = 64 * 1024;

/** Makes `dir` a new empty directory; one left by an earlier process with the same pid is cleared. */
function freshDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  }
}

/** The committed results of every ancestor of `node`, keyed by node id. */
function upstreamOf(rc: NodeRunContext, node: PipelineNode): Record<string, UpstreamNode> {
  const out: Record<string, UpstreamNode> = {};
  const nodes = rc.evalCtx.pipeline.nodes;
  const pending = [...node.needs];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (Object.hasOwn(out, id)) continue;
    const rec = rc.recordOf(id);
    if (!rec) continue;
    const finished = Date.parse(rec.finishedAt);
    out[id] = {
      step: rec.fields.step,
      durationMs: rec.durationMs,
      finishedAt: rec.finishedAt,
      reused: !(finished >= rc.runStartedAt),
      ...(rec.summary ? { summary: rec.summary } : {}),
    };
    pending.push(...(nodes.get(id)?.needs ?? []));
  }
  return out;
}

/** The step's declared outputs, each checked to stay inside the output directory. */
export function declaredOutputs(
  outputs: (w: JsonValue) => Readonly<Record<string, string>>,
  withValue: JsonValue,
): Result<Record<string, string>, string> {
  let raw: Readonly<Record<string, string>>;
  try {
    raw = outputs(withValue);
  } catch (e) {
    return err(`could not list outputs: ${(e as Error).message}`);
  }
  const checked: Record<string, string> = {};
  for (const [name, rel] of Object.entries(raw)) {
    const c = checkRelativePath(rel, `output ${name}`, { allowAbsolute: false });
    if (!c.ok) return c;
    checked[name] = c.value;
  }
  return ok(checked);
}
