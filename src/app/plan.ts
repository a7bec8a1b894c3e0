// `moe plan` (and `moe run --dry-run`) as a service: the plan of an opened pipeline against its
// workspace's records, without taking the lock (it writes nothing but the input stat cache and the
// evaluation memo).
import type { SweepOutline } from '../engine/events.js';
import { InputDigester } from '../engine/input-digests.js';
import type { PlanEntry, PlanStatus } from '../engine/plan.js';
import { planPipeline } from '../engine/plan.js';
import { recordSource } from '../engine/record-source.js';
import type { SelectionError, SelectionFlags } from '../engine/selection.js';
import { selectNodes } from '../engine/selection.js';
import { Store } from '../engine/store.js';
import { pipelineKey } from '../engine/workspace.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import type { WorkspacePipeline } from './open.js';

/** The plan as `moe plan --json` prints it. */
export interface PlanJson {
  readonly pipeline: string;
  readonly nodes: readonly {
    readonly node: string;
    readonly status: string;
    readonly reasons: readonly string[];
    readonly fingerprint?: string;
    /** In a sweep: the variants the node serves (one label each; every variant for a shared node). */
    readonly variants?: readonly string[];
  }[];
  readonly counts: Readonly<Record<string, number>>;
  /** In a sweep: the swept parameters and the variants' labels. */
  readonly sweep?: SweepOutline;
}

export interface Planned {
  readonly entries: readonly PlanEntry[];
  readonly json: PlanJson;
}

export async function planInWorkspace(
  opened: WorkspacePipeline,
  flags: SelectionFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Result<Planned, SelectionError>> {
  const { pipeline, workspace } = opened;
  const selection = selectNodes(pipeline, flags);
  if (!selection.ok) return selection;
  const store = new Store(workspace);
  const digester = new InputDigester(workspace.statCache);
  const entries = await planPipeline(
    { pipeline, steps: opened.registry, resolve: opened.resolve, env, digester, memo: opened.memo },
    recordSource(store, store.readIndex(pipelineKey(pipeline.file))),
    selection.value,
  );
  try {
    digester.save();
  } catch {
    // Only a speed-up for the next run; a read-only workspace is fine for planning.
  }
  opened.saveMemo();
  return ok({ entries, json: planJson(pipeline.name, entries) });
}

function planJson(pipeline: string, entries: readonly PlanEntry[]): PlanJson {
  const counts: Record<PlanStatus, number> = { cached: 0, run: 0, blocked: 0, error: 0 };
  for (const e of entries) counts[e.status] += 1;
  return {
    pipeline,
    nodes: entries.map((e) => ({
      node: e.node,
      status: e.status,
      reasons: e.reasons,
      ...(e.evaluation ? { fingerprint: e.evaluation.fingerprint } : {}),
    })),
    counts,
  };
}
