// Where a command's workspace is: `--workspace DIR`, or `.moe/` beside the pipeline file (or in the
// current directory when no file is given).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Workspace } from '../engine/workspace.js';
import { workspaceAt } from '../engine/workspace.js';

export function workspaceFor(file: string | undefined, flag: string | undefined): Workspace {
  if (flag !== undefined) return workspaceAt(resolve(flag));
  return workspaceAt(join(file === undefined ? process.cwd() : dirname(resolve(file)), '.moe'));
}

/**
 * Whether `ws.root` holds what only moe writes: a pipeline index, records, or a run journal
 * (`runs/<run-id>.jsonl`). `moe gc` empties `store/`, `tmp/`, `staging/` and `cache/` of a workspace, so
 * a folder that merely has such names (a project folder given as `--workspace` by mistake) is refused.
 */
export function looksLikeWorkspace(ws: Workspace): boolean {
  if (existsSync(ws.index) || existsSync(ws.records)) return true;
  try {
    return readdirSync(ws.runs).some((name) => /^\d{8}T\d{6}Z-\d+\.jsonl$/.test(name));
  } catch {
    return false;
  }
}
