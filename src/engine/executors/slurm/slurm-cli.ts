// Talking to Slurm through its command-line tools (sbatch, squeue, scontrol, scancel), which work the
// same with or without accounting.
import { execFile } from 'node:child_process';
import type { Result } from '../../../util/result.js';
import { err, ok } from '../../../util/result.js';

function run(
  file: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      // `spawn sbatch ENOENT` says little to someone who asked for --executor slurm on a machine without it.
      const missing =
        error?.code === 'ENOENT'
          ? `${file} is not on PATH: the Slurm executor runs Slurm's commands (sbatch, squeue, scontrol, scancel) on the machine where moe runs`
          : undefined;
      resolve({
        code,
        stdout: String(stdout),
        stderr: missing ?? String(stderr || (error && code === 127 ? error.message : '')),
        missing: missing !== undefined,
      });
    });
  });
}

/** A submission that failed; `permanent` when sbatch is not installed here (no retry mends that). */
export interface SubmitFailure {
  readonly ok: false;
  readonly error: string;
  readonly permanent?: true;
}

export async function submit(args: readonly string[]): Promise<Result<string, string> | SubmitFailure> {
  const r = await run('sbatch', args);
  if (r.code !== 0) {
    const error = `sbatch failed: ${r.stderr.trim() || `exit ${r.code}`}`;
    return r.missing ? { ok: false, error, permanent: true } : err(error);
  }
  const id = r.stdout.trim().split(';')[0] ?? '';
  return /^\d+$/.test(id) ? ok(id) : err(`sbatch printed no job id: ${r.stdout.trim()}`);
}

/** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, … or undefined once Slurm has forgotten the job. */
export async function jobState(id: string): Promise<string | undefined> {
  return (await jobStatus(id))?.state;
}

export interface JobStatus {
  readonly state: string;
  /** Slurm's reason for the state: why a pending job waits (`Resources`, `Priority`, `BeginTime`, …). */
  readonly reason: string | undefined;
}

/** The job's state and Slurm's reason for it, or undefined once Slurm has forgotten the job. */
export async function jobStatus(id: string): Promise<JobStatus | undefined> {
  const q = await run('squeue', ['-h', '-j', id, '-o', '%T|%r']);
  const fromQueue = q.code === 0 ? q.stdout.trim().split('\n')[0]?.trim() : undefined;
  if (fromQueue) {
    const [state = '', reason] = fromQueue.split('|');
    return { state: state.trim(), reason: knownReason(reason) };
  }
  const s = await run('scontrol', ['show', 'job', '-o', id]);
  if (s.code !== 0) return undefined;
  const state = /\bJobState=(\S+)/.exec(s.stdout)?.[1];
  return state === undefined
    ? undefined
    : { state, reason: knownReason(/\bReason=(\S+)/.exec(s.stdout)?.[1]) };
}

function knownReason(reason: string | undefined): string | undefined {
  const r = reason?.trim();
  return r === undefined || r === '' || r === 'None' || r === '(null)' ? undefined : r;
}

export const ALIVE = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'RESIZING',
]);

export async function cancel(id: string): Promise<void> {
  await run('scancel', [id]);
}

export type JobLiveness = 'alive' | 'gone' | 'unknown';

/**
 * Whether a job is still in the queue (pending, running, …). `unknown` when Slurm cannot be asked (no
 * squeue, controller down): a caller about to delete the job's files must then keep them.
 */
export async function jobLiveness(id: string): Promise<JobLiveness> {
  const q = await run('squeue', ['-h', '-j', id, '-o', '%T']);
  if (q.code === 0) {
    const state = q.stdout.trim().split('\n')[0]?.trim() ?? '';
    return state !== '' && ALIVE.has(state) ? 'alive' : 'gone';
  }
  // Some Slurm versions answer a job they have forgotten with an error rather than an empty list.
  return /invalid job id/i.test(q.stderr) ? 'gone' : 'unknown';
}
