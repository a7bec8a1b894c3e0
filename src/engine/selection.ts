// `--only`, `--from` and `--force`: which nodes a run considers and which it reruns regardless of cache.
import type { Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import { nodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { closest } from '../pipeline/suggest.js';

export interface Selection {
  readonly selected: ReadonlySet<NodeId>;
  readonly forced: ReadonlySet<NodeId>;
}

export interface SelectionError {
  readonly reason: 'unknown-node';
  readonly flag: string;
  readonly node: string;
  readonly message: string;
}

export interface SelectionFlags {
  /** Rerun these nodes even when cached. */
  readonly force: readonly string[];
  /** Consider only these nodes; their upstream nodes must already be committed. */
  readonly only: readonly string[];
  /** Rerun these nodes and everything downstream of them. */
  readonly from: readonly string[];
}

export function selectNodes(pipeline: Pipeline, flags: SelectionFlags): Result<Selection, SelectionError> {
  const check = (flag: string, names: readonly string[]): Result<NodeId[], SelectionError> => {
    const ids: NodeId[] = [];
    for (const name of names) {
      // In a sweep the file's node stands for each of its variants (`score` → `score[x=1]`, `score[x=2]`).
      const variants = pipeline.nodes.has(nodeId(name))
        ? []
        : [...pipeline.nodes.values()].filter((n) => n.origin === name).map((n) => n.id);
      if (variants.length > 0) {
        ids.push(...variants);
        continue;
      }
      if (!pipeline.nodes.has(nodeId(name))) {
        const guess = closest(name, [...pipeline.nodes.keys()]);
        return err({
          reason: 'unknown-node',
          flag,
          node: name,
          message: `--${flag} ${name}: no node named ${JSON.stringify(name)} in ${pipeline.file}${guess ? ` (did you mean ${guess}?)` : ''}`,
        });
      }
      ids.push(nodeId(name));
    }
    return ok(ids);
  };
  const force = check('force', flags.force);
  if (!force.ok) return force;
  const only = check('only', flags.only);
  if (!only.ok) return only;
  const from = check('from', flags.from);
  if (!from.ok) return from;

  const forced = new Set<NodeId>(force.value);
  if (from.value.length > 0) {
    const children = new Map<NodeId, NodeId[]>();
    for (const node of pipeline.nodes.values()) {
      for (const up of node.needs) children.set(up, [...(children.get(up) ?? []), node.id]);
    }
    const queue = [...from.value];
    while (queue.length > 0) {
      const id = queue.pop() as NodeId;
      if (forced.has(id) && !force.value.includes(id)) continue;
      forced.add(id);
      queue.push(...(children.get(id) ?? []));
    }
  }
  const selected = only.value.length > 0 ? new Set(only.value) : new Set(pipeline.order);
  return ok({ selected, forced });
}
