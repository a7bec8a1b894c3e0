// `moe gc`: collect the workspace's garbage, or say who holds it.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { looksLikeWorkspace, workspaceFor } from '../../app/workspace.js';
import type { GcReport } from '../../engine/gc.js';
import { collectGarbage } from '../../engine/gc.js';
import { CliFailure, EXIT } from '../failure.js';
import { renderGc } from '../render/gc.js';
import { remoteHolderHint, shownWorkspace, unwritable } from './open.js';

export interface GcFlags {
  readonly workspace?: string | undefined;
  readonly 'dry-run': boolean;
  readonly 'keep-runs': number;
  readonly verify?: boolean | undefined;
}

export async function gcCommand(file: string | undefined, flags: GcFlags, json: boolean): Promise<GcReport> {
  // A misspelt pipeline name must not collect the workspace of the folder it names.
  if (file !== undefined && !existsSync(file))
    throw new CliFailure(
      `${file}: no such file; nothing removed (to collect a workspace whose pipeline is gone, give it with --workspace DIR)`,
      EXIT.invalid,
    );
  const ws = workspaceFor(file, flags.workspace);
  if (!existsSync(ws.root))
    throw new CliFailure(`no workspace at ${shownWorkspace(ws)}: nothing to collect`, EXIT.invalid);
  if (!looksLikeWorkspace(ws)) {
    throw new CliFailure(
      `${shownWorkspace(ws)} is not a moe workspace (no index/, records/ or run journals in it): nothing removed; give the workspace a run used (default: .moe beside the pipeline) with --workspace DIR`,
      EXIT.invalid,
    );
  }
  const result = await collectGarbage(ws, {
    dryRun: flags['dry-run'],
    keepRuns: flags['keep-runs'],
    verify: flags.verify ?? false,
  });
  if (!result.ok) {
    const problem = result.error;
    if (problem.reason === 'unwritable') throw new CliFailure(unwritable(ws, problem.message), EXIT.invalid);
    const h = problem.holder;
    throw new CliFailure(
      `workspace ${shownWorkspace(ws)} is in use by ${h.command} (pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}); try again when it ends${remoteHolderHint(ws, h)}`,
      EXIT.busy,
    );
  }
  if (!json) process.stdout.write(renderGc(result.value, flags['dry-run']));
  return result.value;
}
