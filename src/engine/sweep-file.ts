// The last sweep of each pipeline (`runs/sweep-<key>.json`): the swept values and the `--param` flags
// it ran with, and its run id, so `moe compare` and `moe status` can find its variants again. The variants' results are
// not copied here: they are the store's records, found by planning the same sweep again.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sweep } from '../pipeline/sweep.js';
import { atomicWrite } from './store.js';
import type { Workspace } from './workspace.js';

export interface LastSweep {
  readonly file: string;
  readonly sweep: Sweep;
  /** The `--param` flags of that run, as given. */
  readonly params: readonly string[];
  /** When it was started (ISO 8601). */
  readonly startedAt: string;
  /** Its run (journal `runs/<runId>.jsonl`), so `moe status` shows it after later runs. */
  readonly runId?: string;
}

function pathOf(ws: Workspace, key: string): string {
  return join(ws.runs, `sweep-${key}.json`);
}

export function writeLastSweep(ws: Workspace, key: string, last: LastSweep): void {
  mkdirSync(ws.runs, { recursive: true });
  atomicWrite(pathOf(ws, key), `${JSON.stringify(last, null, 2)}\n`);
}

export function readLastSweep(ws: Workspace, key: string): LastSweep | undefined {
  try {
    const v = JSON.parse(readFileSync(pathOf(ws, key), 'utf8')) as Partial<LastSweep>;
    if (typeof v.file !== 'string' || typeof v.sweep !== 'object' || !Array.isArray(v.params))
      return undefined;
    return v as LastSweep;
  } catch {
    return undefined;
  }
}
