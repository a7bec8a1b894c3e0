// `moe status` as a service: the last run of a pipeline (or of the workspace), read from its journal.
import { resolve } from 'node:path';
import type { RunReport } from '../engine/status.js';
import { latestRunId, readRunReport } from '../engine/status.js';
import type { Workspace } from '../engine/workspace.js';
import { pipelineKey } from '../engine/workspace.js';

/** The last run recorded in `ws` for `file` (or for any pipeline), or undefined when there is none. */
export function lastRun(ws: Workspace, file: string | undefined): RunReport | undefined {
  const runId = latestRunId(ws, file === undefined ? undefined : pipelineKey(resolve(file)));
  return runId === undefined ? undefined : readRunReport(ws, runId);
}
