// `moe status`: the last run of a pipeline, node by node, read back from its journal. A journal without
// a `run-end` event belongs to a run that is still going or was killed.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import type { FailureKind, RunCounts, RunEvent, RunStatus, SweepOutline } from './events.js';
import { readLatestRun } from './index-file.js';
import type { Workspace } from './workspace.js';
import { journalPath, pipelineKey } from './workspace.js';
import { readTextInBlocks } from '../util/small-blocks.js';

/** `interrupted`: stopped while running by Ctrl-C or SIGTERM (it reruns next time). */
export type NodeState = 'cached' | 'done' | 'failed' | 'interrupted' | 'skipped' | 'running' | 'pending';

export interface NodeStatus {
  readonly node: string;
  readonly state: NodeState;
  readonly durationMs?: number;
  /** When the node's last attempt started, in milliseconds after the run's start: with durationMs, the run's timeline. */
  readonly startMs?: number;
  readonly attempts?: number;
  readonly error?: string;
  readonly failure?: FailureKind;
  readonly logFile?: string;
  readonly reasons?: readonly string[];
}

export interface RunReport {
  readonly runId: string;
  readonly pipeline: string;
  readonly file: string;
  readonly startedAt: string;
  /**
   * `running` when the journal has no end: the run is still going, or was killed (kill -9, a crash);
   * `moe status` tells them apart by the workspace's lock (`killed`: no live process holds it for the run).
   */
  readonly status: RunStatus | 'running' | 'killed';
  /** The process of a run still going (the workspace lock's holder), as `moe status` found it. */
  readonly pid?: number;
  readonly durationMs?: number;
  readonly counts?: RunCounts;
  /** When the run was a sweep: its parameters and variants. */
  readonly sweep?: SweepOutline;
  readonly nodes: readonly NodeStatus[];
}

/**
 * The latest run of the pipeline with this key, or of any pipeline in the workspace. The pipeline's
 * `runs/latest-<key>` names it; when that is gone, empty or names no journal (deleted or emptied by
 * hand), the newest journal of the pipeline is found by its `run-start` instead.
 */
export function latestRunId(ws: Workspace, key: string | undefined): string | undefined {
  const journals = (): string[] => {
    try {
      return readdirSync(ws.runs)
        .filter((n) => n.endsWith('.jsonl'))
        .map((n) => n.slice(0, -'.jsonl'.length))
        .sort();
    } catch {
      return [];
    }
  };
  if (key === undefined) return journals().at(-1);
  const named = readLatestRun(ws, key);
  if (named !== undefined && named !== '' && existsSync(journalPath(ws, named))) return named;
  // Run ids begin with their start time, so the newest sorts last.
  return journals()
    .reverse()
    .find((id) => {
      const file = startFile(journalPath(ws, id));
      return file !== undefined && pipelineKey(file) === key;
    });
}

/** The pipeline file a journal's first event (`run-start`) names; undefined when it names none. */
function startFile(journal: string): string | undefined {
  const line = firstLine(journal);
  if (line === undefined) return undefined;
  try {
    const event = JSON.parse(line) as Partial<Extract<RunEvent, { type: 'run-start' }>>;
    return event.type === 'run-start' && typeof event.file === 'string' ? event.file : undefined;
  } catch {
    return undefined;
  }
}

/** A file's first line (a run-start lists every node: it may be long), read without the rest. */
function firstLine(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let at = 0; at < MAX_START_BYTES;) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      const end = buf.subarray(0, n).indexOf(0x0a);
      chunks.push(Buffer.from(buf.subarray(0, end < 0 ? n : end)));
      if (end >= 0) break;
      at += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A run-start longer than this (a run of about a million nodes) is not read to find a run. */
const MAX_START_BYTES = 64 << 20;

export function readRunReport(ws: Workspace, runId: string): RunReport | undefined {
  let text: string;
  try {
    text = readTextInBlocks(journalPath(ws, runId));
  } catch {
    return undefined;
  }
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      // A line cut short by kill -9.
    }
  }
  const start = events.find((e) => e.type === 'run-start');
  if (!start || start.type !== 'run-start') return undefined;
  const nodes = new Map<string, NodeStatus>(start.nodes.map((n) => [n, { node: n, state: 'pending' }]));
  let end: Extract<RunEvent, { type: 'run-end' }> | undefined;
  for (const e of events) {
    switch (e.type) {
      case 'node-cached':
        nodes.set(e.node, { node: e.node, state: 'cached' });
        break;
      case 'node-start':
        nodes.set(e.node, {
          node: e.node,
          state: 'running',
          startMs: e.time - start.time,
          attempts: e.attempt,
          logFile: e.logFile,
          reasons: e.reasons,
        });
        break;
      case 'node-done': {
        const prev = nodes.get(e.node);
        nodes.set(e.node, { ...prev, node: e.node, state: 'done', durationMs: e.durationMs });
        break;
      }
      case 'node-failed': {
        const prev = nodes.get(e.node);
        nodes.set(e.node, {
          ...prev,
          node: e.node,
          state: e.kind === 'aborted' ? 'interrupted' : 'failed',
          durationMs: e.durationMs,
          error: e.error,
          failure: e.kind,
          logFile: e.logFile,
        });
        break;
      }
      case 'node-skipped':
        nodes.set(e.node, { node: e.node, state: 'skipped', error: e.reason });
        break;
      case 'run-end':
        end = e;
        break;
      case 'run-start':
      case 'node-retry':
      case 'node-log':
      case 'node-progress':
      case 'node-queued':
        break;
    }
  }
  return {
    runId,
    pipeline: start.pipeline,
    file: start.file,
    startedAt: new Date(start.time).toISOString(),
    status: end?.status ?? 'running',
    ...(end ? { durationMs: end.durationMs, counts: end.counts } : {}),
    ...(start.sweep ? { sweep: start.sweep } : {}),
    nodes: [...nodes.values()],
  };
}
