// The workspace folders that Slurm jobs started by moe may still be using. A job outlives the moe that
// submitted it (kill -9, a lost login node); its record in `slurm/active/` names it until a moe follows it
// to the end. `moe gc` keeps these folders: the job writes into them, and a rerun reattaches to the job and
// takes its outputs from them instead of running the node again.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobFiles, readOutcome } from './job-files.js';
import type { JobSpec } from './job-files.js';
import type { JobLiveness } from './slurm-cli.js';
import { jobLiveness } from './slurm-cli.js';

export interface JobInUse {
  readonly jobId: string;
  readonly node: string;
  /** alive: still queued or running; unknown: Slurm could not be asked; finished: done, outputs not yet taken. */
  readonly state: 'alive' | 'unknown' | 'finished';
  /** Absolute folders the job uses: its staging (output) dir, scratch dir, checkpoint dir and its own folder. */
  readonly folders: readonly string[];
}

interface ActiveRecord {
  readonly jobId: string;
  readonly dir: string;
  readonly outDir: string;
  readonly node: string;
}

/**
 * The jobs recorded under `slurmDir/active/` that still need their folders. `ask` is how a job's state is
 * learnt (squeue by default; tests pass their own).
 */
export async function jobsInUse(
  slurmDir: string,
  ask: (jobId: string) => Promise<JobLiveness> = jobLiveness,
): Promise<JobInUse[]> {
  const activeDir = join(slurmDir, 'active');
  if (!existsSync(activeDir)) return [];
  const found: JobInUse[] = [];
  for (const name of readdirSync(activeDir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const rec = readRecord(join(activeDir, name));
    if (!rec) continue;
    const liveness = await ask(rec.jobId);
    const outcome = readOutcome(jobFiles(rec.dir));
    const state =
      liveness === 'alive'
        ? 'alive'
        : liveness === 'unknown'
          ? 'unknown'
          : outcome?.ok === true && existsSync(rec.outDir)
            ? 'finished'
            : undefined;
    if (state === undefined) continue;
    const spec = readSpec(jobFiles(rec.dir).spec);
    const folders = [rec.outDir, spec?.tmpDir, spec?.checkpointDir, rec.dir].filter(
      (f): f is string => typeof f === 'string' && f !== '',
    );
    found.push({ jobId: rec.jobId, node: rec.node, state, folders });
  }
  return found;
}

function readRecord(path: string): ActiveRecord | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<ActiveRecord>;
    return typeof v.jobId === 'string' && typeof v.dir === 'string' && typeof v.outDir === 'string'
      ? { jobId: v.jobId, dir: v.dir, outDir: v.outDir, node: String(v.node ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}

function readSpec(path: string): Partial<JobSpec> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<JobSpec>;
  } catch {
    return undefined;
  }
}
