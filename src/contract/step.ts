// The step API: what every step type, built in or from a plugin, implements. This file is part of the
// public API (`import type { StepDefinition } from 'moe'`); keep it small and stable.
import type { JsonValue, Resources } from './values.js';

/** A JSON Schema (draft 2020-12) object, as ajv accepts it. */
export type JsonSchema = Readonly<Record<string, JsonValue>>;

export interface StepLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * A progress report from a running step: `moe run`'s live display shows it and `moe run --json` streams it
 * as a `node-progress` event; it is not kept in the run's journal (`moe status` does not show it).
 */
export interface ProgressUpdate {
  /** Units done so far (steps, items, …). */
  readonly done?: number;
  /** Units in all, when known. */
  readonly total?: number;
  /** A short human line: "step 120/400 loss 0.031". */
  readonly message?: string;
  /**
   * Numbers worth plotting over time (loss, lr, steps/s), streamed with the `node-progress` event. Not
   * recorded: a step that keeps a curve writes it among its outputs (train.expert's metrics.jsonl).
   */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** What a step may know of a node upstream of it (direct or not): for reports of timings and reuse. */
export interface UpstreamNode {
  /** The node's step type. */
  readonly step: string;
  /** How long the node took when it ran (its committed result may come from an earlier run). */
  readonly durationMs: number;
  /** When that result was committed (ISO 8601). */
  readonly finishedAt: string;
  /** True when this run reused the committed result instead of running the node. */
  readonly reused: boolean;
  /** The step's run summary, when it gave one. */
  readonly summary?: Readonly<Record<string, number | string | boolean>>;
}

export interface StepContext<W = JsonValue> {
  readonly nodeId: string;
  /**
   * The resolved `with` block, already validated against the step's `withSchema`. It holds only what the
   * pipeline wrote: the schema's `default`s are not filled in (the step applies them, e.g. `w.n ?? 5`).
   */
  readonly with: W;
  /** The staging directory: write every output here. It is committed to the store when `run` resolves. */
  readonly outDir: string;
  /**
   * A directory kept across attempts of this node with the same fingerprint, deleted once the node is
   * committed. Trainers keep checkpoints here to resume after an interruption.
   */
  readonly checkpointDir: string;
  /**
   * A directory shared by every run and node of this step type in the workspace, for content-addressed
   * caches the step manages itself (for example per-item embeddings). The step must write atomically.
   */
  readonly sharedCacheDir: string;
  /** A scratch directory, empty when the attempt starts and emptied after it. */
  readonly tmpDir: string;
  /**
   * The node's log file, when the engine keeps one. A step may let a child process append its output to it
   * directly (opened for appending), instead of passing every line through `log`.
   */
  readonly logFile?: string;
  /** The directory of the pipeline file. */
  readonly pipelineDir: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** Aborted on Ctrl-C, timeout or cancellation: stop promptly and reject. */
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  progress(update: ProgressUpdate): void;
  /** The environment for child processes: the user's, plus MOE_OUT, CUDA_VISIBLE_DEVICES, … */
  readonly env: Readonly<Record<string, string>>;
  /** The GPU device ids this node holds while it runs (empty when it asked for none). */
  readonly gpus: readonly number[];
  readonly resources: Resources;
  /**
   * Every node this one depends on, directly or through others, by id. The engine always sets it; a test
   * rig may leave it out.
   */
  readonly upstream?: Readonly<Record<string, UpstreamNode>>;
  /** Set for steps whose definition has `relays: true` (see JobRelay). */
  readonly relay?: JobRelay;
}

/**
 * How a step that does its work as one job on a reusable worker (the built-in `command`) lets the engine
 * hand a worker its next job before the current one ends. The handles are the step's own; the engine
 * only passes them from one node to the next.
 */
export interface JobRelay {
  /**
   * Set when the engine admitted this attempt before a job slot was free: the step queues its job behind
   * this running job on the same worker (or starts it at once when that job has ended), and the attempt
   * counts as started only when the job does.
   */
  readonly after: unknown;
  /**
   * For a follower: a file the engine creates when the run stops starting nodes (a node failed, without
   * `--keep-going`). The queued job must not start once it exists, nor when the job before it failed.
   */
  readonly haltFile?: string | undefined;
  /** The step calls this when its job starts running, with a handle for a later job to queue behind. */
  started(job: unknown): void;
  /** The step calls this when its queued job was withdrawn before it started (see `haltFile`). */
  withdrawn(): void;
  /**
   * The step may call this when its job was queued behind `after`, with a function that starts the job
   * at once elsewhere unless it has started (true when it did; never both): the engine calls it when a
   * job slot frees before the job's turn comes, and then `started` is called as the job starts.
   */
  queued?(startElsewhere: () => boolean): void;
}

export interface StepResult {
  /** Numbers and short strings worth keeping in the run record (final loss, items reused, …). */
  readonly summary?: Readonly<Record<string, number | string | boolean>>;
  /**
   * Named measurements of the result, for comparing runs (`moe compare`, a pipeline's `objective:`):
   * `loss.composed.full`, `steps_per_s`. Kept in the node's record, so a cached node still has them.
   * Only finite numbers are kept.
   */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * A failure another attempt cannot mend: the program the step runs is not installed, a file it needs is
 * not there. Thrown by a step's `run`, it ends the node at once; the engine does not retry it under the
 * node's `retry:` and says so. The engine goes by the `retryable: false` property, so a plugin may
 * instead throw any Error that carries it.
 */
export class PermanentStepError extends Error {
  override readonly name = 'PermanentStepError';
  readonly retryable = false as const;
}

export interface StepDefinition<W = JsonValue> {
  /** The type name used under `step:` in a pipeline, e.g. `command` or `train.expert`. */
  readonly name: string;
  /** Changing the version invalidates every cached result of this step. */
  readonly version: string;
  /** One line for `moe steps`. */
  readonly description: string;
  /** JSON Schema for the `with` block. */
  readonly withSchema: JsonSchema;
  /** Top-level `with` keys whose `${{ }}` values are inserted shell-quoted (a `run:` command line). */
  readonly shellFields?: readonly string[];
  /** The step honours `ctx.relay`: its attempts may be queued behind another node's running job. */
  readonly relays?: boolean;
  /**
   * The named outputs and their paths relative to the output directory. Called with the `with` block as
   * written (expressions not yet evaluated, as strings) at validation time, and resolved at run time.
   */
  outputs(withValue: JsonValue): Readonly<Record<string, string>>;
  /** Files or directories (relative to the pipeline file) whose contents count in the fingerprint. */
  inputs?(withValue: W): readonly string[];
  run(ctx: StepContext<W>): Promise<StepResult | undefined>;
}

/** A module a plugin exports (default export or named `steps`). */
export interface PluginModule {
  readonly steps: readonly StepDefinition<never>[];
}
