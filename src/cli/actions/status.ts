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
    throw new CliFailure(
      `no runs recorded in ${shownWorkspace(ws)}${file ? ` for ${file}` : ''}`,
      EXIT.failed,
    );
  }
  if (!json) process.stdout.write(renderStatus(report, useColor(process.stdout)));
  return report;
}
