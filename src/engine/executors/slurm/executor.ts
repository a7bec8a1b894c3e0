// Runs each node attempt as a Slurm job. moe stays the scheduler: it submits a job per ready node (its
// resources become sbatch flags), follows it through the job files and squeue/scontrol, cancels it when the
// run is aborted, and records the job id so that a moe killed and started again follows a job that is
// still running instead of submitting it twice.
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  fstatSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { sleep } from '../../../util/sleep.js';
import type { ExecOutcome, Executor, ExecutorEvent, NodeJob } from '../executor.js';
import { nodeDirs } from '../executor.js';
import { jobFiles, parseEvents, readOutcome, writeAtomic } from './job-files.js';
import type { JobFiles, JobSpec } from './job-files.js';
import { sbatchArgs } from './sbatch.js';
import type { SlurmSettings } from './sbatch.js';
import { ALIVE, cancel, jobState, jobStatus, submit } from './slurm-cli.js';
import type { SubmitFailure } from './slurm-cli.js';

export interface SlurmExecutorOptions {
  readonly settings: SlurmSettings;
  /** A directory on the shared file system for job files and job records (the workspace's slurm/). */
  readonly stateDir: string;
  readonly pipelineFile: string;
  /** The node's timeout, for Slurm's --time. */
  readonly timeoutOf: (node: string) => number | undefined;
  /** The command a job runs, before the spec path. Default: this moe's `exec-node`. */
  readonly command: readonly string[];
}

/** What is recorded per running node, keyed by its fingerprint (the checkpoint directory's name). */
interface ActiveJob {
  readonly jobId: string;
  readonly dir: string;
  readonly outDir: string;
  readonly node: string;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  constructor(private readonly opts: SlurmExecutorOptions) {}

  async execute(
    job: NodeJob,
    signal: AbortSignal,
    emit: (event: ExecutorEvent) => void,
  ): Promise<ExecOutcome> {
    const activeDir = join(this.opts.stateDir, 'active');
    mkdirSync(activeDir, { recursive: true });
    const recordFile = join(activeDir, `${basename(job.checkpointDir)}.json`);

    let active = await this.reattachable(recordFile);
    if (active) {
      emit({
        type: 'log',
        level: 'info',
        message: `reattached to Slurm job ${active.jobId} (still running from an earlier moe)`,
      });
    } else {
      const submitted = await this.submit(job);
      if (!submitted.ok)
        return {
          ok: false,
          kind: submitted.permanent === true ? 'permanent' : 'error',
          error: submitted.error,
        };
      active = submitted.value;
      writeAtomic(recordFile, `${JSON.stringify(active)}\n`);
      emit({ type: 'log', level: 'info', message: `submitted Slurm job ${active.jobId}` });
    }
    const outcome = await this.follow(active, signal, emit);
    rmSync(recordFile, { force: true });
    if (outcome.ok && active.outDir !== job.outDir) moveContents(active.outDir, job.outDir);
    return outcome;
  }

  /** A recorded job that is still queued or running, or that finished with a result while moe was away. */
  private async reattachable(recordFile: string): Promise<ActiveJob | undefined> {
    if (!existsSync(recordFile)) return undefined;
    let rec: ActiveJob;
    try {
      rec = JSON.parse(readFileSync(recordFile, 'utf8')) as ActiveJob;
    } catch {
      return undefined;
    }
    const state = await jobState(rec.jobId);
    const outcome = readOutcome(jobFiles(rec.dir));
    // A finished job counts only while its outputs are still where it wrote them (`moe gc` clears staging).
    const finished = outcome?.ok === true && existsSync(rec.outDir);
    if ((state !== undefined && ALIVE.has(state)) || finished) return rec;
    rmSync(recordFile, { force: true });
    return undefined;
  }

  private async submit(job: NodeJob): Promise<{ ok: true; value: ActiveJob } | SubmitFailure> {
    const dir = join(
      this.opts.stateDir,
      'jobs',
      `${basename(job.checkpointDir).slice(0, 16)}-${process.pid}-${job.attempt}-${Date.now()}`,
    );
    mkdirSync(dir, { recursive: true });
    const files = jobFiles(dir);
    const spec: JobSpec = {
      format: 1,
      pipelineFile: this.opts.pipelineFile,
      step: job.step.name,
      node: job.node,
      with: job.with,
      attempt: job.attempt,
      ...nodeDirs(job),
      env: job.env,
      resources: job.resources,
      upstream: job.upstream,
    };
    // The spec carries the environment moe runs with: readable by its owner only.
    writeFileSync(files.spec, `${JSON.stringify(spec)}\n`, { mode: 0o600 });
    const command = [...this.opts.command, files.spec].map(shellQuote).join(' ');
    writeFileSync(files.script, `#!/bin/sh\nexec ${command}\n`, { mode: 0o755 });
    const args = sbatchArgs(
      {
        jobName: `moe-${job.node}`,
        resources: job.resources,
        timeoutMs: this.opts.timeoutOf(job.node),
        outputFile: files.slurmOut,
        script: files.script,
      },
      this.opts.settings,
    );
    const id = await submit(args);
    if (!id.ok) return id;
    return { ok: true, value: { jobId: id.value, dir, outDir: job.outDir, node: job.node } };
  }

  private async follow(
    active: ActiveJob,
    signal: AbortSignal,
    emit: (event: ExecutorEvent) => void,
  ): Promise<ExecOutcome> {
    const files = jobFiles(active.dir);
    const tail = new Tail(files.events);
    let gone = 0;
    let queued: string | undefined;
    let queuedSince = 0;
    for (;;) {
      for (const e of tail.read()) emit(e);
      const outcome = readOutcome(files);
      if (outcome) {
        for (const e of tail.read()) emit(e);
        return outcome;
      }
      if (signal.aborted) {
        await cancel(active.jobId);
        await this.waitGone(active.jobId);
        const reason: unknown = signal.reason;
        return { ok: false, kind: 'aborted', error: reason instanceof Error ? reason.message : 'aborted' };
      }
      const status = await jobStatus(active.jobId);
      const state = status?.state;
      if (state === 'PENDING') {
        // Once when the job starts waiting and at each new reason, so the display says why it waits.
        const reason = status?.reason ?? 'waiting';
        if (reason !== queued) emit({ type: 'queued', jobId: active.jobId, reason });
        if (queued === undefined) queuedSince = Date.now();
        queued = reason;
      } else if (queued !== undefined && state !== undefined && ALIVE.has(state)) {
        const waited = Math.round((Date.now() - queuedSince) / 1000);
        emit({
          type: 'log',
          level: 'info',
          message: `Slurm job ${active.jobId} left the queue after ${waited}s (${state})`,
        });
        queued = undefined;
        emit({ type: 'running' });
      }
      if (state === undefined || !ALIVE.has(state)) {
        // The outcome file may trail the job's end on a shared file system: look a few more times.
        gone += 1;
        if (gone > 3) {
          return {
            ok: false,
            kind: 'error',
            error: `Slurm job ${active.jobId} ended (${state ?? 'gone'}) without a result${lastLines(files)}`,
          };
        }
      }
      await sleep(this.opts.settings.pollMs, signal);
    }
  }

  private async waitGone(id: string): Promise<void> {
    for (let i = 0; i < 30; i++) {
      const state = await jobState(id);
      if (state === undefined || !ALIVE.has(state)) return;
      await sleep(500);
    }
  }
}

class Tail {
  private offset = 0;
  constructor(private readonly path: string) {}
  read(): ExecutorEvent[] {
    if (!existsSync(this.path)) return [];
    const fd = openSync(this.path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const { events, consumed } = parseEvents(buf.toString('utf8'));
      this.offset += Buffer.byteLength(buf.toString('utf8').slice(0, consumed));
      return events;
    } finally {
      closeSync(fd);
    }
  }
}

function moveContents(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) renameSync(join(from, name), join(to, name));
  rmSync(from, { recursive: true, force: true });
}

function lastLines(files: JobFiles): string {
  if (!existsSync(files.slurmOut)) return '';
  const lines = readFileSync(files.slurmOut, 'utf8').trim().split('\n').slice(-5).join('\n');
  return lines === '' ? '' : `; its output ends:\n${lines}`;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
