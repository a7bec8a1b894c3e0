// `moe compare` as a service: the variants of a pipeline's last sweep, each with its metrics and output
// paths, ranked by the pipeline's objective. The results are found by planning the same sweep against
// the store (a committed record per node), so what is compared is exactly what `moe run` would reuse.
import { join } from 'node:path';
import { InputDigester } from '../engine/input-digests.js';
import { planPipeline } from '../engine/plan.js';
import { recordSource } from '../engine/record-source.js';
import { readRunReport } from '../engine/status.js';
import type { NodeRecord } from '../engine/records.js';
import { Store } from '../engine/store.js';
import { readLastSweep } from '../engine/sweep-file.js';
import type { Variant } from '../engine/variants.js';
import type { Workspace } from '../engine/workspace.js';
import { pipelineKey } from '../engine/workspace.js';
import type { Objective, ParamValue } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { WorkspacePipeline } from './open.js';
import { sweepOf } from './sweep.js';

export interface ComparedVariant {
  /** The swept values of this variant. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** `node.metric` → value, from every node of the variant that has a committed result. */
  readonly metrics: Readonly<Record<string, number>>;
  /** `node.output` → the artifact's absolute path in the store. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The variant's label (`strength=0.25`). */
  readonly label: string;
  /** Nodes of the variant with no committed result (the variant has not finished). */
  readonly missing: readonly string[];
  /** Of those, the ones that failed in the last run of the sweep, with the error and the node's log. */
  readonly failed?: readonly FailedNode[];
}

export interface FailedNode {
  readonly node: string;
  readonly error: string;
  readonly logFile?: string;
}

export interface Comparison {
  readonly pipeline: string;
  readonly file: string;
  /** The swept parameters, in order. */
  readonly axes: readonly string[];
  /** Best first when there is an objective, else in sweep order. */
  readonly variants: readonly ComparedVariant[];
  /** The objective as `node.metric` with its goal, or null when the pipeline has none. */
  readonly objective: { readonly metric: string; readonly goal: 'min' | 'max' } | null;
  /** The index of the best variant, or null (no objective, or no variant has its metric). */
  readonly best: number | null;
  /** Nodes shared by every variant (their metrics are the same for all). */
  readonly shared: readonly string[];
}

/**
 * A variant's state: `finished` (every node has a committed result), `failed` (a node failed in the
 * sweep's last run: rerunning fails the same way until it is fixed) or `unfinished` (not run to the end).
 */
export type VariantState = 'finished' | 'failed' | 'unfinished';

/**
 * `moe compare --json`: the variants (params, state, metrics, outputs; the missing nodes of one not
 * finished, and the failed ones with their error and log), the objective and the best.
 */
export interface ComparisonJson {
  readonly variants: readonly {
    readonly params: Readonly<Record<string, ParamValue>>;
    readonly state: VariantState;
    readonly metrics: Readonly<Record<string, number>>;
    readonly outputs: Readonly<Record<string, string>>;
    readonly missing?: readonly string[];
    readonly failed?: readonly FailedNode[];
  }[];
  readonly objective: { readonly node: string; readonly metric: string; readonly goal: 'min' | 'max' } | null;
  readonly best: number | null;
}

export function comparisonJson(c: Comparison): ComparisonJson {
  const o = c.objective;
  const dot = o === null ? -1 : o.metric.indexOf('.');
  return {
    variants: c.variants.map((v) => ({
      params: v.params,
      state: variantState(v),
      metrics: v.metrics,
      outputs: v.outputs,
      ...(v.missing.length > 0 ? { missing: v.missing } : {}),
      ...(v.failed !== undefined && v.failed.length > 0 ? { failed: v.failed } : {}),
    })),
    objective:
      o === null ? null : { node: o.metric.slice(0, dot), metric: o.metric.slice(dot + 1), goal: o.goal },
    best: c.best,
  };
}

export function variantState(v: ComparedVariant): VariantState {
  if (v.missing.length === 0) return 'finished';
  return v.failed !== undefined && v.failed.length > 0 ? 'failed' : 'unfinished';
}

export type CompareProblem =
  | { readonly reason: 'no-sweep'; readonly message: string }
  | { readonly reason: 'invalid'; readonly message: string };

/** The `--param` flags the last sweep of `file` ran with, to open the pipeline as it did. */
export function lastSweepParams(ws: WorkspacePipeline['workspace'], file: string): readonly string[] {
  return readLastSweep(ws, pipelineKey(file))?.params ?? [];
}

export async function compareLastSweep(
  opened: WorkspacePipeline,
  sweepFlags: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Result<Comparison, CompareProblem>> {
  const { pipeline, workspace } = opened;
  const last = readLastSweep(workspace, pipelineKey(pipeline.file));
  const sweep = last?.sweep ?? pipeline.sweep;
  if (sweep === undefined && sweepFlags.length === 0) {
    return err({
      reason: 'no-sweep',
      message: `no sweep of ${pipeline.name} recorded in this workspace; run one first: moe run ${pipeline.file} --sweep name=a,b,c`,
    });
  }
  const swept = sweepOf(pipeline, sweepFlags, sweep);
  if (!swept.ok) return err({ reason: 'invalid', message: swept.error });
  if (swept.value === undefined) return err({ reason: 'no-sweep', message: 'the sweep has no variants' });
  const expanded = swept.value;
  const store = new Store(workspace);
  const digester = new InputDigester(workspace.statCache);
  const entries = await planPipeline(
    {
      pipeline: expanded.pipeline,
      steps: opened.registry,
      resolve: opened.resolve,
      env,
      digester,
      memo: opened.memo,
    },
    recordSource(store, store.readIndex(pipelineKey(pipeline.file))),
    { selected: new Set(expanded.pipeline.order), forced: new Set() },
  );
  // Not written back: the variants' evaluations are kept by the runs that run them.
  opened.memo.close();
  const records = new Map<NodeId, NodeRecord>();
  for (const e of entries) if (e.status === 'cached' && e.record) records.set(e.node, e.record);

  const objective = pipeline.objective;
  const key = objective === undefined ? undefined : `${objective.node}.${objective.metric}`;
  const failures = failedIn(workspace, last?.runId);
  // A variant an `include:` entry did not extend ran with the parameter's default: show that, not a gap.
  const withDefaults = (v: Variant): Variant => {
    const params: Record<string, ParamValue> = { ...v.params };
    for (const a of expanded.axes) {
      const d = pipeline.params.get(a);
      if (params[a] === undefined && d !== undefined) params[a] = d;
    }
    return { ...v, params };
  };
  const variants = expanded.variants.map((v) =>
    describe(withDefaults(v), records, workspace.store, failures),
  );
  const order = rank(variants, key, objective);
  const ranked = order.map((i) => variants[i] as ComparedVariant);
  const best =
    key !== undefined && ranked[0] !== undefined && ranked[0].metrics[key] !== undefined ? 0 : null;
  const shared = pipeline.order.filter((id) => expanded.serves.get(id)?.length === expanded.variants.length);
  return ok({
    pipeline: pipeline.name,
    file: pipeline.file,
    axes: expanded.axes,
    variants: ranked,
    objective: objective === undefined || key === undefined ? null : { metric: key, goal: objective.goal },
    best,
    shared,
  });
}

/** The nodes that failed in the sweep's run (its journal), by id. */
function failedIn(ws: Workspace, runId: string | undefined): ReadonlyMap<string, FailedNode> {
  const report = runId === undefined ? undefined : readRunReport(ws, runId);
  const out = new Map<string, FailedNode>();
  for (const n of report?.nodes ?? []) {
    if (n.state !== 'failed') continue;
    out.set(n.node, {
      node: n.node,
      error: n.error ?? 'failed',
      ...(n.logFile !== undefined ? { logFile: n.logFile } : {}),
    });
  }
  return out;
}

function describe(
  v: Variant,
  records: ReadonlyMap<NodeId, NodeRecord>,
  store: string,
  failures: ReadonlyMap<string, FailedNode>,
): ComparedVariant {
  const metrics: Record<string, number> = {};
  const outputs: Record<string, string> = {};
  const missing: string[] = [];
  const failed: FailedNode[] = [];
  for (const [node, id] of Object.entries(v.nodes)) {
    const r = records.get(id);
    if (r === undefined) {
      missing.push(id);
      const f = failures.get(id);
      if (f !== undefined) failed.push(f);
      continue;
    }
    for (const [name, value] of Object.entries(metricsOf(r))) metrics[`${node}.${name}`] = value;
    const dir = join(store, r.outputs.digest);
    for (const [name, rel] of Object.entries(r.outputs.paths)) outputs[`${node}.${name}`] = join(dir, rel);
  }
  return {
    params: v.params,
    metrics,
    outputs,
    label: v.label,
    missing,
    ...(failed.length ? { failed } : {}),
  };
}

/**
 * A record's metrics; a record committed before steps reported metrics offers its summary's numbers
 * under the same names the summary uses.
 */
function metricsOf(r: NodeRecord): Readonly<Record<string, number>> {
  if (r.metrics !== undefined) return r.metrics;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.summary ?? {}))
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Indexes of `variants`, best first by the objective; variants without its value last, in sweep order. */
function rank(
  variants: readonly ComparedVariant[],
  key: string | undefined,
  objective: Objective | undefined,
): number[] {
  const order = variants.map((_, i) => i);
  if (key === undefined || objective === undefined) return order;
  const sign = objective.goal === 'max' ? -1 : 1;
  return order.sort((a, b) => {
    const x = variants[a]?.metrics[key];
    const y = variants[b]?.metrics[key];
    if (x === undefined || y === undefined)
      return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0) || a - b;
    return sign * (x - y) || a - b;
  });
}
