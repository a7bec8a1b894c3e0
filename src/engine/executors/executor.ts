// The narrow boundary between "what runs" and "where it runs". The local executor calls the step in this
// process; a cluster executor submits the same job elsewhere and reports back through the same events.
import type { JsonValue, Resources } from '../../pipeline/types.js';
import type { JobRelay, ProgressUpdate, StepDefinition, UpstreamNode } from '../../contract/step.js';
import type { NodeId } from '../../util/brand.js';
import type { FailureKind, LogLevel } from '../events.js';

/** Where one attempt of a node works: the folders and log file its step context names, on any executor. */
export interface NodeDirs {
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly sharedCacheDir: string;
  readonly tmpDir: string;
  readonly pipelineDir: string;
  /** The node's log file (its directory exists). */
  readonly logFile: string;
}

/** Just the NodeDirs fields of a job or a job spec (what a step context or a spec written for a cluster copies). */
export function nodeDirs(from: NodeDirs): NodeDirs {
  const { outDir, checkpointDir, sharedCacheDir, tmpDir, pipelineDir, logFile } = from;
  return { outDir, checkpointDir, sharedCacheDir, tmpDir, pipelineDir, logFile };
}

export interface NodeJob extends NodeDirs {
  readonly node: NodeId;
  readonly step: StepDefinition<JsonValue>;
  /** The resolved `with`, upstream outputs as absolute store paths. */
  readonly with: JsonValue;
  readonly attempt: number;
  readonly env: Readonly<Record<string, string>>;
  readonly gpus: readonly number[];
  readonly resources: Resources;
  /** The node's ancestors' committed results (timings, summaries, whether this run reused them). */
  readonly upstream: Readonly<Record<string, UpstreamNode>>;
  /** For a step with `relays: true` on an executor with `relays: true`: see JobRelay. */
  readonly relay?: JobRelay;
}

export type ExecutorEvent =
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  | { readonly type: 'progress'; readonly progress: ProgressUpdate }
  /** A cluster job waits in the queue; `reason` is the scheduler's (Slurm's `Resources`, `Priority`, …). */
  | { readonly type: 'queued'; readonly jobId: string; readonly reason: string }
  /** The queued job has started: the node's timeout counts from here, as the cluster's time limit does. */
  | { readonly type: 'running' };

export type ExecOutcome =
  | {
      readonly ok: true;
      readonly summary: Readonly<Record<string, number | string | boolean>> | undefined;
      readonly metrics?: Readonly<Record<string, number>>;
    }
  | { readonly ok: false; readonly kind: FailureKind; readonly error: string };

export interface Executor {
  readonly name: string;
  /** Passes a job's `relay` to the step in this process, so attempts may queue behind running jobs. */
  readonly relays?: boolean;
  /** Runs one attempt of a node. Resolves (never rejects) once the attempt has finished or given up. */
  execute(job: NodeJob, signal: AbortSignal, emit: (event: ExecutorEvent) => void): Promise<ExecOutcome>;
}
