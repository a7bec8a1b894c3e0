// Where a command's workspace is: `--workspace DIR`, or `.moe/` beside the pipeline file (or in the
// current directory when no file is given).
import { dirname, join, resolve } from 'node:path';
import type { Workspace } from '../engine/workspace.js';
import { workspaceAt } from '../engine/workspace.js';

export function workspaceFor(file: string | undefined, flag: string | undefined): Workspace {
  if (flag !== undefined) return workspaceAt(resolve(flag));
  return workspaceAt(join(file === undefined ? process.cwd() : dirname(resolve(file)), '.moe'));
}
