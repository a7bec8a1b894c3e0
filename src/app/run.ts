// `moe run` as a service: an opened pipeline run in its workspace with the executor it asks for (local,
// or Slurm from `executor:` or `--executor`), the pipeline cache written once the first job is out and
// the evaluation memo written back afterwards. Everything the
// run has to say goes to `onEvent`; the caller renders it.
import type { RunEventListener, SweepOutline } from '../engine/events.js';
import type { Executor } from '../engine/executors/executor.js';
import { deviceNames, parseDeviceList } from '../engine/gpus.js';
import type { RunFailure, RunSummary } from '../engine/run.js';
import { runPipeline } from '../engine/run.js';
import type { SelectionFlags } from '../engine/selection.js';
import type { Result } from '../util/result.js';
import { err } from '../util/result.js';
import type { WorkspacePipeline } from './open.js';

export interface RunRequest extends SelectionFlags {
  readonly jobs?: number | undefined;
  /** `--gpus 0,1`. */
  readonly gpus?: string | undefined;
  /** `--executor`: overrides the pipeline's `executor:`. */
  readonly executor?: string | undefined;
  readonly keepGoing: boolean;
  /** The pipeline is a sweep's variants: named in the run's `run-start` event. */
  readonly sweep?: SweepOutline;
  /** How long to wait for another run holding the workspace lock. */
  readonly lockWaitMs: number;
  readonly signal: AbortSignal;
  readonly onEvent: RunEventListener;
}

/** Why a run did not start: the workspace is busy, a node name is unknown, or the executor is misconfigured. */
export type RunProblem = RunFailure | { readonly reason: 'executor'; readonly message: string };

export async function runInWorkspace(
  opened: WorkspacePipeline,
  req: RunRequest,
): Promise<Result<RunSummary, RunProblem>> {
  const remote = await remoteExecutor(req.executor, opened);
  if (remote !== undefined && !remote.ok) return remote;
  let cacheDue = true;
  const gpuNames = req.gpus === undefined ? undefined : deviceNames(req.gpus);
  const result = await runPipeline({
    pipeline: opened.pipeline,
    steps: opened.registry,
    resolve: opened.resolve,
    memo: opened.memo,
    workspace: opened.workspace,
    // On a cluster, as many ready nodes are submitted as Slurm will take: not capped by this machine's
    // cores or memory, only by --jobs when it is given.
    ...(req.jobs !== undefined ? { jobs: req.jobs } : remote ? { jobs: CLUSTER_JOBS } : {}),
    ...(remote ? { capacity: { cpu: Infinity, memoryBytes: Infinity } } : {}),
    ...(req.gpus !== undefined ? { gpus: parseDeviceList(req.gpus) } : {}),
    ...(gpuNames !== undefined && !remote ? { gpuNames } : {}),
    ...(remote?.value ?? {}),
    force: req.force,
    only: req.only,
    from: req.from,
    keepGoing: req.keepGoing,
    ...(req.sweep !== undefined ? { sweep: req.sweep } : {}),
    signal: req.signal,
    onEvent: (e) => {
      // A loaded pipeline not yet in the cache is written once the first job is out: it is for the next
      // run, and a cold run's first job need not wait for it.
      if (cacheDue && e.type === 'node-start') {
        cacheDue = false;
        setImmediate(opened.saveCache);
      }
      req.onEvent(e);
    },
    lockWaitMs: req.lockWaitMs,
  });
  opened.saveCache();
  opened.saveMemo();
  return result;
}

/** Jobs submitted at once to a cluster when --jobs is not given: enough for any sweep's ready nodes. */
const CLUSTER_JOBS = 1024;

interface Remote {
  readonly executor: Executor;
  readonly gpus: number[];
}

/** The Slurm executor when asked for; Slurm hands out GPUs, so the local GPU pool must not limit them. */
async function remoteExecutor(
  flag: string | undefined,
  opened: WorkspacePipeline,
): Promise<Result<Remote, RunProblem> | undefined> {
  if ((flag ?? opened.pipeline.executor?.kind ?? 'local') !== 'slurm') return undefined;
  const { createSlurmExecutor } = await import('../engine/executors/slurm/index.js');
  const made = createSlurmExecutor(opened.pipeline, opened.workspace.root);
  if (!made.ok) return err({ reason: 'executor', message: made.error });
  return { ok: true, value: { executor: made.value, gpus: Array.from({ length: 64 }, (_, i) => i) } };
}
