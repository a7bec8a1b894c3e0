// `moe status`: the last run, node by node.
import type { StatusReport } from '../../app/status.js';
import { lastRun } from '../../app/status.js';
import { workspaceFor } from '../../app/workspace.js';
import { CliFailure, EXIT } from '../failure.js';
import { useColor } from '../render/format.js';
import { renderStatus } from '../render/status.js';
import { shownWorkspace } from './open.js';

export function statusCommand(
  file: string | undefined,
  workspace: string | undefined,
  json: boolean,
): StatusReport {
  const ws = workspaceFor(file, workspace);
  const report = lastRun(ws, file);
  if (!report) {
    // Without FILE the workspace is ./.moe, which a pipeline in another folder (pipelines/.moe) does not use.
    const help =
      file === undefined
        ? 'name the pipeline file (moe status pipelines/p.yaml: its workspace is the .moe beside it) or the workspace (--workspace DIR)'
        : `moe run ${file} records one`;
    throw new CliFailure(
      `no runs recorded in ${shownWorkspace(ws)}${file ? ` for ${file}` : ''}; ${help}`,
      EXIT.failed,
    );
  }
  if (!json) process.stdout.write(renderStatus(report, useColor(process.stdout)));
  return report;
}
