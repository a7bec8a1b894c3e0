// The per-pipeline index (the last committed record of each node) and the pointer to a pipeline's latest
// run. Both are conveniences rewritten whole; the per-fingerprint records stay the source of truth.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { Digest } from '../util/brand.js';
import type { CommittedResult, NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';
import type { PipelineIndex } from './store.js';
import { atomicWrite } from './store.js';
import type { Workspace } from './workspace.js';
import { mkdirSync } from 'node:fs';

/**
 * The index's entries after a run, in pipeline order: each node's committed result, else its entry in
 * the previous index. A result the run committed itself is given by its fingerprint, for
 * `Store.writeIndexOf` to copy from the record log; one taken from earlier runs is its record.
 */
export function indexEntries(
  pipeline: Pipeline,
  previous: PipelineIndex | undefined,
  committed: ReadonlyMap<NodeId, CommittedResult | Digest>,
): Map<string, NodeRecord | Digest> {
  const nodes = new Map<string, NodeRecord | Digest>();
  for (const id of pipeline.order) {
    const r = committed.get(id);
    const entry =
      r === undefined ? previous?.nodes[id] : typeof r === 'object' && isNodeRecord(r) ? r : fingerprintOf(r);
    if (entry !== undefined) nodes.set(id, entry);
  }
  // A node's results in other sweep variants (`base[strength=0.25]`), or in a plain run after a sweep,
  // stay indexed while the file has the node: `moe compare` and gc still find them.
  const names = new Set<string>([...pipeline.nodes.values()].map((n) => n.origin ?? n.id));
  for (const [id, r] of Object.entries(previous?.nodes ?? {})) {
    if (!nodes.has(id) && names.has(id.replace(/\[.*$/, ''))) nodes.set(id, r);
  }
  return nodes;
}

const fingerprintOf = (r: CommittedResult | Digest): Digest => (typeof r === 'string' ? r : r.fingerprint);

function latestPath(ws: Workspace, key: string): string {
  return join(ws.runs, `latest-${key}`);
}

export function writeLatestRun(ws: Workspace, key: string, runId: string): void {
  mkdirSync(ws.runs, { recursive: true });
  atomicWrite(latestPath(ws, key), runId);
}

export function readLatestRun(ws: Workspace, key: string): string | undefined {
  try {
    return readFileSync(latestPath(ws, key), 'utf8').trim();
  } catch {
    return undefined;
  }
}
