// After a successful run, name where the results are: the outputs of the pipeline's final nodes (those
// no other node needs), so a person can open the report without searching the store.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunEvent } from '../../engine/events.js';
import { isNodeRecord } from '../../engine/records.js';
import { recordPath, storePath } from '../../engine/workspace.js';
import type { Workspace } from '../../engine/workspace.js';
import type { Pipeline } from '../../pipeline/types.js';

/** Collects the fingerprint each node finished (or was cached) with, from the run's events. */
export class FinishedNodes {
  readonly fingerprints = new Map<string, string>();

  onEvent(e: RunEvent): void {
    if (e.type === 'node-done' || e.type === 'node-cached') this.fingerprints.set(e.node, e.fingerprint);
  }
}

/** Lines `node.output  path` for every output of the final nodes that finished. */
export function finalOutputLines(pipeline: Pipeline, ws: Workspace, finished: FinishedNodes): string[] {
  const needed = new Set<string>();
  for (const node of pipeline.nodes.values()) for (const up of node.needs) needed.add(up);
  const lines: string[] = [];
  for (const id of pipeline.order) {
    if (needed.has(id)) continue;
    const fingerprint = finished.fingerprints.get(id);
    if (fingerprint === undefined) continue;
    let record: unknown;
    try {
      // Small files, read one after another: synchronous reads cost a fraction of promise round trips.
      record = JSON.parse(readFileSync(recordPath(ws, fingerprint), 'utf8'));
    } catch {
      continue;
    }
    if (!isNodeRecord(record)) continue;
    const dir = storePath(ws, record.outputs.digest);
    for (const [name, path] of Object.entries(record.outputs.paths)) {
      const full = join(dir, path);
      const near = relative(process.cwd(), full);
      const shown = near === '' ? '.' : near.startsWith('..') ? full : near;
      lines.push(`${id}.${name}: ${shown}`);
    }
  }
  return lines;
}
