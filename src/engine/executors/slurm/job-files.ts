// The files one Slurm job shares with moe through the workspace (a shared file system): the node to run
// (spec.json), what the step reports while it runs (events.jsonl, appended), how it ended (outcome.json,
// written last and atomically), and Slurm's own output (slurm.out).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue, Resources } from '../../../pipeline/types.js';
import type { UpstreamNode } from '../../../contract/step.js';
import type { ExecOutcome, ExecutorEvent, NodeDirs } from '../executor.js';

export interface JobSpec extends NodeDirs {
  readonly format: 1;
  /** The pipeline file, so the job can load the same step registry (built-ins and plugins). */
  readonly pipelineFile: string;
  readonly step: string;
  readonly node: string;
  readonly with: JsonValue;
  readonly attempt: number;
  readonly env: Readonly<Record<string, string>>;
  readonly resources: Resources;
  /** Absent in specs written before it existed. */
  readonly upstream?: Readonly<Record<string, UpstreamNode>>;
}

export interface JobFiles {
  readonly dir: string;
  readonly spec: string;
  readonly script: string;
  readonly events: string;
  readonly outcome: string;
  readonly slurmOut: string;
}

export function jobFiles(dir: string): JobFiles {
  return {
    dir,
    spec: join(dir, 'spec.json'),
    script: join(dir, 'job.sh'),
    events: join(dir, 'events.jsonl'),
    outcome: join(dir, 'outcome.json'),
    slurmOut: join(dir, 'slurm.out'),
  };
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function readOutcome(files: JobFiles): ExecOutcome | undefined {
  if (!existsSync(files.outcome)) return undefined;
  try {
    return JSON.parse(readFileSync(files.outcome, 'utf8')) as ExecOutcome;
  } catch {
    return undefined;
  }
}

/** Parses complete lines of events.jsonl; a torn last line waits for the next read. */
export function parseEvents(text: string): { readonly events: ExecutorEvent[]; readonly consumed: number } {
  const events: ExecutorEvent[] = [];
  let consumed = 0;
  for (;;) {
    const nl = text.indexOf('\n', consumed);
    if (nl < 0) break;
    const line = text.slice(consumed, nl);
    consumed = nl + 1;
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as ExecutorEvent);
    } catch {
      events.push({ type: 'log', level: 'warn', message: line });
    }
  }
  return { events, consumed };
}
