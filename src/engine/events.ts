// What a run reports while it happens. The engine emits these and never prints; the CLI's renderers,
// the run journal (`moe status`) and the node log files subscribe.
import type { NodeId } from '../util/brand.js';
import type { ProgressUpdate } from '../contract/step.js';

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Why a node did not produce outputs in this run. `permanent`: the step said another attempt cannot
 * succeed (its program is not installed; see PermanentStepError), so it was not retried.
 */
export type FailureKind = 'error' | 'timeout' | 'aborted' | 'missing-output' | 'internal' | 'permanent';

export type RunEvent =
  | {
      readonly type: 'run-start';
      readonly runId: string;
      readonly pipeline: string;
      readonly file: string;
      readonly workspace: string;
      /** Nodes this run considers (all of them, or the `--only`/`--from` selection). */
      readonly nodes: readonly NodeId[];
      readonly jobs: number;
      /** For a sweep: the swept parameters and each variant's label (`strength=0.25`). */
      readonly sweep?: SweepOutline;
      readonly time: number;
    }
  | {
      readonly type: 'node-cached';
      readonly node: NodeId;
      readonly fingerprint: string;
      readonly time: number;
    }
  | {
      readonly type: 'node-start';
      readonly node: NodeId;
      readonly fingerprint: string;
      readonly attempt: number;
      /** Why it runs: `never run`, `params.strength 0.3 → 0.35`, `forced`, … */
      readonly reasons: readonly string[];
      readonly gpus: readonly number[];
      readonly logFile: string;
      readonly time: number;
    }
  | {
      readonly type: 'node-progress';
      readonly node: NodeId;
      readonly progress: ProgressUpdate;
      readonly time: number;
    }
  | {
      /** The node's cluster job waits in the queue: once when it starts waiting and at each new reason. */
      readonly type: 'node-queued';
      readonly node: NodeId;
      readonly jobId: string;
      /** The cluster's reason: Slurm's `Resources`, `Priority`, `ReqNodeNotAvail`, `BeginTime`, … */
      readonly reason: string;
      readonly time: number;
    }
  | {
      readonly type: 'node-log';
      readonly node: NodeId;
      readonly level: LogLevel;
      readonly message: string;
      readonly time: number;
    }
  | {
      readonly type: 'node-retry';
      readonly node: NodeId;
      /** The attempt that failed. */
      readonly attempt: number;
      readonly error: string;
      readonly delayMs: number;
      readonly time: number;
    }
  | {
      readonly type: 'node-done';
      readonly node: NodeId;
      readonly fingerprint: string;
      /** The content digest of the committed outputs. */
      readonly outputs: string;
      /** True when the outputs are byte-identical to the previous committed result of this node. */
      readonly unchanged: boolean;
      readonly durationMs: number;
      readonly summary: Readonly<Record<string, number | string | boolean>> | undefined;
      /** The step's metrics, when it reported any. */
      readonly metrics?: Readonly<Record<string, number>>;
      readonly time: number;
    }
  | {
      readonly type: 'node-failed';
      readonly node: NodeId;
      readonly kind: FailureKind;
      readonly error: string;
      readonly attempt: number;
      readonly logFile: string;
      readonly durationMs: number;
      readonly time: number;
    }
  | {
      /** A node that cannot run because an upstream node failed or the run was stopped. */
      readonly type: 'node-skipped';
      readonly node: NodeId;
      readonly reason: string;
      readonly time: number;
    }
  | {
      readonly type: 'run-end';
      readonly runId: string;
      readonly status: RunStatus;
      readonly counts: RunCounts;
      readonly durationMs: number;
      readonly time: number;
    };

export interface SweepOutline {
  readonly axes: readonly string[];
  readonly variants: readonly string[];
}

export type RunStatus = 'succeeded' | 'failed' | 'interrupted';

export interface RunCounts {
  readonly cached: number;
  readonly ran: number;
  /** Nodes that failed on their own (not those stopped by Ctrl-C or SIGTERM). */
  readonly failed: number;
  readonly skipped: number;
  /** Nodes stopped while running by Ctrl-C or SIGTERM; present when the run was interrupted. */
  readonly interrupted?: number;
}

export type RunEventListener = (event: RunEvent) => void;
