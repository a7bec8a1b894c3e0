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
  /**
   * The last records of the file's node `origin` under every name it ran as: plain (`base`) and in each
   * sweep variant (`base[strength=0.25]`). A node that never ran under its own name is explained
   * against the closest of them instead of "never run".
   */
  related?(origin: NodeId): readonly (readonly [NodeId, NodeRecord])[];
  /** Whether the node's last record was in the pipeline's index but does not read (a damaged index). */
  unreadable?(node: NodeId): boolean;
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
  const earlier = previousRecords(node, records);
  if (pending.length > 0) {
    const waits = pending.map((id) => `upstream ${id} will run`);
    if (forced) return { node: node.id, status: 'run', reasons: ['forced', ...waits] };
    if (earlier.length === 0) {
      // With its last record unreadable the node may well be cached once its upstream has run.
      if (records.unreadable?.(node.id) === true)
        return { node: node.id, status: 'blocked', reasons: [`waits for ${pending.join(', ')}`, DAMAGED] };
      return { node: node.id, status: 'run', reasons: ['never run'] };
    }
    // Compare everything but the pending upstream outputs with the earlier run closest to this one.
    let closest: { reasons: string[]; as: NodeId | undefined } | undefined;
    for (const e of earlier) {
      const partial = await evaluateNode(
        ctx,
        node,
        (id) => upstream(id) ?? e.record.fields.upstream[originOf(ctx, id)],
      );
      if (!partial.ok) return { node: node.id, status: 'error', reasons: [partial.error] };
      const own = diffFingerprints(e.record.fields, partial.value.fields);
      if (closest === undefined || own.length < closest.reasons.length) closest = { reasons: own, as: e.as };
    }
    if (closest && closest.reasons.length > 0)
      return { node: node.id, status: 'run', reasons: [...closest.reasons, ...waits, ...seen(closest.as)] };
    return { node: node.id, status: 'blocked', reasons: [`waits for ${pending.join(', ')}`] };
  }

  const evaluated = await evaluateNode(ctx, node, upstream);
  if (!evaluated.ok) return { node: node.id, status: 'error', reasons: [evaluated.error] };
  const evaluation = evaluated.value;
  const record = records.byFingerprint(evaluation.fingerprint);
  const stored = record !== undefined && records.hasOutputs(record);
  if (forced) return { node: node.id, status: 'run', reasons: ['forced'], evaluation };
  if (record && stored) return { node: node.id, status: 'cached', reasons: [], evaluation, record };
  const problem = (r: NodeRecord): string => records.outputsProblem?.(r) ?? 'outputs missing from the store';
  const last = earlier[0];
  let reasons: string[];
  if (record) reasons = [problem(record)];
  else if (!last) reasons = [records.unreadable?.(node.id) === true ? DAMAGED : 'never run'];
  else if (last.as === undefined && last.record.fingerprint === evaluation.fingerprint)
    reasons = [problem(last.record)];
  else {
    const diffs = earlier.map((e) => ({
      as: e.as,
      reasons: diffFingerprints(e.record.fields, evaluation.fields),
    }));
    const closest = diffs.reduce((a, b) => (b.reasons.length < a.reasons.length ? b : a));
    reasons = closest.reasons.length === 0 ? ['fingerprint changed'] : closest.reasons;
    reasons = [...reasons, ...seen(closest.as)];
  }
  return { node: node.id, status: 'run', reasons, evaluation };
}

/** Said of a node whose last record is in the index but does not read (instead of `never run`). */
const DAMAGED = 'its last record in the pipeline index does not read (the index was damaged)';

interface Previous {
  readonly record: NodeRecord;
  /** The name it ran as, when not the node's own (another sweep variant, or the plain run). */
  readonly as?: NodeId;
}

/** The node's own last record, or else the last records of the same file node under other names. */
function previousRecords(node: PipelineNode, records: RecordSource): Previous[] {
  const own = records.last(node.id);
  if (own) return [{ record: own }];
  return (records.related?.(node.origin ?? node.id) ?? [])
    .filter(([id]) => id !== node.id)
    .map(([as, record]) => ({ record, as }));
}

function seen(as: NodeId | undefined): string[] {
  return as === undefined ? [] : [`compared with ${as}`];
}

/** The name the file gives a node: a sweep variant's `base[strength=0.25]` is `base`. */
function originOf(ctx: EvalContext, id: NodeId): NodeId {
  return ctx.pipeline.nodes.get(id)?.origin ?? id;
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
  // Nodes in error and those downstream of one: a run skips them, so the plan does not say they run.
  const stuck = new Set<NodeId>();
  const entries: PlanEntry[] = [];
  for (const id of ctx.pipeline.order) {
    const node = ctx.pipeline.nodes.get(id);
    if (!node) continue;
    const behind = node.needs.filter((u) => stuck.has(u));
    let entry: PlanEntry =
      behind.length > 0
        ? { node: id, status: 'blocked', reasons: behind.map((u) => `upstream ${u} cannot run`) }
        : await decideNode(ctx, node, (u) => known.get(u), records, opts.forced.has(id));
    if (entry.status === 'error' || behind.length > 0) stuck.add(id);
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
