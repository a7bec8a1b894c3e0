// Runs a step in this process. The step's own failures become outcomes; the node's signal is the step's.
import type { JsonValue } from '../../pipeline/types.js';
import type { StepContext } from '../../contract/step.js';
import type { ExecOutcome, Executor, ExecutorEvent, NodeJob } from './executor.js';
import { nodeDirs } from './executor.js';

export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly relays = true;

  async execute(
    job: NodeJob,
    signal: AbortSignal,
    emit: (event: ExecutorEvent) => void,
  ): Promise<ExecOutcome> {
    const ctx: StepContext<JsonValue> = {
      nodeId: job.node,
      with: job.with,
      ...nodeDirs(job),
      attempt: job.attempt,
      signal,
      log: {
        info: (message) => emit({ type: 'log', level: 'info', message }),
        warn: (message) => emit({ type: 'log', level: 'warn', message }),
        error: (message) => emit({ type: 'log', level: 'error', message }),
      },
      progress: (progress) => emit({ type: 'progress', progress }),
      env: job.env,
      gpus: job.gpus,
      resources: job.resources,
      // Read through, so that a step that never looks at its ancestors does not pay for listing them.
      get upstream() {
        return job.upstream;
      },
      ...(job.relay !== undefined ? { relay: job.relay } : {}),
    };
    try {
      const result = await job.step.run(ctx);
      if (signal.aborted) return { ok: false, kind: 'aborted', error: abortMessage(signal) };
      const metrics = finiteMetrics(result?.metrics);
      return { ok: true, summary: result?.summary, ...(metrics !== undefined ? { metrics } : {}) };
    } catch (e) {
      if (signal.aborted) return { ok: false, kind: 'aborted', error: abortMessage(signal) };
      return { ok: false, kind: 'error', error: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** The finite numbers of a step's metrics (NaN and Infinity have no JSON form); undefined when none. */
function finiteMetrics(m: Readonly<Record<string, number>> | undefined): Record<string, number> | undefined {
  if (m === undefined || m === null || typeof m !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
}
