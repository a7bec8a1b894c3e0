// The plan: for each node, cached / will run / blocked / error, and why. A function of the pipeline, the
// committed records and the input digests; it changes nothing on disk (the stat cache aside).
import type { PipelineNode } from '../pipeline/types.js';
import type { Digest, NodeId } from '../util/brand.js';
import type { EvalContext, Evaluation } from './evaluate.js';
import { evaluateNode } from './evaluate.js';
import { diffFingerprints } from './fingerprint.js';
import type { NodeRecord } from './records.js';

export type PlanStatus = 'cached' | 'run' | 'blocked' | 'error';

export interface PlanEntry {
  readonly node: NodeId;
  readonly status: PlanStatus;
  /** For `run`: why (`never run`, `forced`, `params.strength 0.3 → 0.35`, …). For `blocked` and `error`: what. */
  readonly reasons: readonly string[];
  /** Known unless the node waits for upstream nodes or cannot be evaluated. */
  readonly evaluation?: Evaluation;
  /** The committed result a cached node reuses. */
  readonly record?: NodeRecord;
}

/** Where committed results are looked up. */
export interface RecordSource {
  byFingerprint(fingerprint: Digest): NodeRecord | undefined;
  /** The node's last committed record in this pipeline, for the diff. */
  last(node: NodeId): NodeRecord | undefined;
  hasOutputs(record: NodeRecord): boolean;
  /** Why a record's outputs cannot be reused (missing, changed since the commit). */
  outputsProblem?(record: NodeRecord): string | undefined;
}

/**
 * Decides one node. `upstream` gives the committed output digest of each upstream node, or undefined for
 * one that has yet to run (then the node's fingerprint cannot be known and it is `blocked` unless its own
 * fields already differ from its last run).
 */
export async function decideNode(
  ctx: EvalContext,
  node: PipelineNode,
  upstream: (id: NodeId) => Digest | undefined,
  records: RecordSource,
  forced: boolean,
): Promise<PlanEntry> {
  const pending = node.needs.filter((id) => upstream(id) === undefined);
  const last = records.last(node.id);
  if (pending.length > 0) {
    const waits = pending.map((id) => `upstream ${id} will run`);
    if (forced) return { node: node.id, status: 'run', reasons: ['forced', ...waits] };
    if (!last) return { node: node.id, status: 'run', reasons: ['never run'] };
    // Compare everything but the pending upstream outputs with the last run.
    const partial = await evaluateNode(ctx, node, (id) => upstream(id) ?? last.fields.upstream[id]);
    if (!partial.ok) return { node: node.id, status: 'error', reasons: [partial.error] };
    const own = diffFingerprints(last.fields, partial.value.fields);
    if (own.length > 0) return { node: node.id, status: 'run', reasons: [...own, ...waits] };
    return { node: node.id, status: 'blocked', reasons: [`waits for ${pending.join(', ')}`] };
  }

  const evaluated = await evaluateNode(ctx, node, upstream);
  if (!evaluated.ok) return { node: node.id, status: 'error', reasons: [evaluated.error] };
  const evaluation = evaluated.value;
  const record = records.byFingerprint(evaluation.fingerprint);
  const stored = record !== undefined && records.hasOutputs(record);
  if (forced) return { node: node.id, status: 'run', reasons: ['forced'], evaluation };
  if (record && stored) return { node: node.id, status: 'cached', reasons: [], evaluation, record };
  let reasons: string[];
  const problem = (r: NodeRecord): string => records.outputsProblem?.(r) ?? 'outputs missing from the store';
  if (record) reasons = [problem(record)];
  else if (!last) reasons = ['never run'];
  else if (last.fingerprint === evaluation.fingerprint) reasons = [problem(last)];
  else {
    reasons = diffFingerprints(last.fields, evaluation.fields);
    if (reasons.length === 0) reasons = ['fingerprint changed'];
  }
  return { node: node.id, status: 'run', reasons, evaluation };
}

export interface PlanOptions {
  /** The nodes to report, in order (all of them, or the `--only`/`--from` selection). */
  readonly selected: ReadonlySet<NodeId>;
  readonly forced: ReadonlySet<NodeId>;
}

/** Plans the whole pipeline in topological order. Nodes outside the selection count only when cached. */
export async function planPipeline(
  ctx: EvalContext,
  records: RecordSource,
  opts: PlanOptions,
): Promise<PlanEntry[]> {
  const known = new Map<NodeId, Digest>();
  const entries: PlanEntry[] = [];
  for (const id of ctx.pipeline.order) {
    const node = ctx.pipeline.nodes.get(id);
    if (!node) continue;
    let entry = await decideNode(ctx, node, (u) => known.get(u), records, opts.forced.has(id));
    if (entry.status === 'cached' && entry.record) known.set(id, entry.record.outputs.digest);
    if (!opts.selected.has(id)) continue;
    const outside = node.needs.filter((u) => !opts.selected.has(u) && !known.has(u));
    if (entry.status !== 'cached' && outside.length > 0) {
      entry = {
        node: id,
        status: 'blocked',
        reasons: outside.map((u) => `upstream ${u} is not up to date and not selected`),
      };
    }
    entries.push(entry);
  }
  return entries;
}
