// After a successful run, where the results are: the outputs of the pipeline's final nodes (those no
// other node needs), so a person can open the report without searching the store. The run hands over
// the records it committed, so nothing is read again from the store.
import { join } from 'node:path';
import type { RunEvent } from '../engine/events.js';
import type { CommittedResult } from '../engine/records.js';
import { storePath } from '../engine/workspace.js';
import type { Workspace } from '../engine/workspace.js';
import type { Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';

/**
 * Collects the fingerprint each final node finished (or was cached) with, from the run's events. Only
 * the final nodes: a map of every node's would grow with the run (half a MB at 10,000 nodes).
 */
export class FinishedNodes {
  readonly fingerprints = new Map<string, string>();
  /** The nodes no other node needs, in pipeline order. */
  readonly final: readonly NodeId[];
  readonly #final: ReadonlySet<string>;

  constructor(pipeline: Pipeline) {
    const needed = new Set<string>();
    for (const node of pipeline.nodes.values()) for (const up of node.needs) needed.add(up);
    this.final = pipeline.order.filter((id) => !needed.has(id));
    this.#final = new Set(this.final);
  }

  onEvent(e: RunEvent): void {
    if ((e.type === 'node-done' || e.type === 'node-cached') && this.#final.has(e.node))
      this.fingerprints.set(e.node, e.fingerprint);
  }
}

export interface FinalOutput {
  readonly node: string;
  readonly name: string;
  /** Absolute path inside the store. */
  readonly path: string;
}

/** Every output of the final nodes that finished, in pipeline order, from the run's records. */
export function finalOutputs(
  ws: Workspace,
  finished: FinishedNodes,
  records: ReadonlyMap<NodeId, CommittedResult>,
): FinalOutput[] {
  const outputs: FinalOutput[] = [];
  for (const id of finished.final) {
    const record = records.get(id);
    if (record === undefined || finished.fingerprints.get(id) !== record.fingerprint) continue;
    const dir = storePath(ws, record.outputs.digest);
    for (const [name, path] of Object.entries(record.outputs.paths)) {
      outputs.push({ node: id, name, path: join(dir, path) });
    }
  }
  return outputs;
}
