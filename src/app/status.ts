// `moe status` as a service: the last run of a pipeline (or of the workspace), read from its journal, and
// the pipeline's last sweep when a later run (a plain one) came after it.
import { resolve } from 'node:path';
import { liveHolder } from '../engine/lock.js';
import type { RunReport } from '../engine/status.js';
import { latestRunId, readRunReport } from '../engine/status.js';
import { readLastSweep } from '../engine/sweep-file.js';
import type { Workspace } from '../engine/workspace.js';
import { pipelineKey } from '../engine/workspace.js';

export interface StatusReport extends RunReport {
  /** The pipeline's last sweep, when it is not the last run: its variants and their nodes. */
  readonly lastSweep?: RunReport;
}

/** The last run recorded in `ws` for `file` (or for any pipeline), or undefined when there is none. */
export function lastRun(ws: Workspace, file: string | undefined): StatusReport | undefined {
  const runId = latestRunId(ws, file === undefined ? undefined : pipelineKey(resolve(file)));
  const report = runId === undefined ? undefined : alive(ws, readRunReport(ws, runId));
  if (report === undefined || report.sweep !== undefined) return report;
  const sweepRun = readLastSweep(ws, pipelineKey(report.file))?.runId;
  const sweep = sweepRun === undefined ? undefined : alive(ws, readRunReport(ws, sweepRun));
  return sweep?.sweep === undefined ? report : { ...report, lastSweep: sweep };
}

/**
 * A run whose journal has no end is still going only while a live process holds the workspace's lock,
 * taken before the run started (one writer per workspace); otherwise it was killed (kill -9, a crash,
 * a power loss) and `moe run` resumes it.
 */
function alive(ws: Workspace, report: RunReport | undefined): RunReport | undefined {
  if (report?.status !== 'running') return report;
  const holder = liveHolder(ws.lockFile);
  const since = holder === undefined ? NaN : Date.parse(holder.since);
  // A lock with no readable time (written by hand) is given the benefit of the doubt.
  if (holder !== undefined && !(since > Date.parse(report.startedAt))) return { ...report, pid: holder.pid };
  return { ...report, status: 'killed' };
}
