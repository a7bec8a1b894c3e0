// Running one job through the shell spawner: output into the node's log file, `moe:progress` lines read
// back from the job's output while it runs, and on abort SIGTERM to the job's process group, SIGKILL
// after the grace period.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ProgressUpdate } from '../../contract/step.js';
import type { RunningJob, ShellJob, ShellSpawner } from './spawner.js';
import { parseProgress } from './progress.js';
import { exitError } from './exit-error.js';
import { signalGroup } from '../../util/process-group.js';

const POLL_MS = 250;

export interface SessionOptions {
  readonly signal: AbortSignal;
  readonly killGraceMs: number;
  readonly progress: (update: ProgressUpdate) => void;
  /** A running job to queue this one behind (see ShellSpawner.run). */
  readonly after?: RunningJob | undefined;
  /** For a queued job: the file that withdraws it (see ShellSpawner.run). */
  readonly haltFile?: string | undefined;
  /** Called when the job starts on its worker (later than the call for a queued job). */
  readonly onStart?: ((job: RunningJob) => void) | undefined;
  /** Called when a queued job was withdrawn before it started. */
  readonly onWithdrawn?: (() => void) | undefined;
  /** Called when the job was queued, not started (see ShellSpawner.run). */
  readonly onQueued?: ((job: RunningJob) => void) | undefined;
}

/**
 * The jobs whose output is read for progress, every POLL_MS by one timer for all of them: a timer made
 * and cleared per job cost more than most jobs' reads. The timer is what keeps this process waiting for
 * a job (the workers and their pipes do not), so it runs while any job does.
 */
const polled = new Set<() => void>();
let pollTimer: NodeJS.Timeout | undefined;

function watch(poll: () => void): void {
  polled.add(poll);
  pollTimer ??= setInterval(() => {
    for (const p of polled) p();
  }, POLL_MS);
}

function unwatch(poll: () => void): void {
  polled.delete(poll);
  if (polled.size === 0 && pollTimer !== undefined) {
    clearInterval(pollTimer);
    pollTimer = undefined;
  }
}

/**
 * What to call on each signal's abort: one listener per signal (most jobs share the run's) instead of
 * one added and removed per job, which cost more than the job's own bookkeeping.
 */
const onAborts = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `f` once when `signal` aborts, unless the function returned is called first. */
function whenAborted(signal: AbortSignal, f: () => void): () => void {
  let calls = onAborts.get(signal);
  if (calls === undefined) {
    const all = new Set<() => void>();
    onAborts.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        const now = [...all];
        all.clear();
        for (const call of now) call();
      },
      { once: true },
    );
    calls = all;
  }
  const set = calls;
  set.add(f);
  return () => set.delete(f);
}

export async function runInSession(
  spawner: ShellSpawner,
  job: ShellJob,
  opts: SessionOptions,
): Promise<void> {
  if (opts.signal.aborted) throw new Error('aborted before start');
  const running = spawner.run(job, {
    after: opts.after,
    haltFile: opts.haltFile,
    onStart: opts.onStart,
    onWithdrawn: opts.onWithdrawn,
    onQueued: opts.onQueued,
  });
  let offset = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    running.kill('SIGTERM');
    killTimer = setTimeout(() => running.kill('SIGKILL'), opts.killGraceMs);
  };
  const forget = whenAborted(opts.signal, onAbort);
  const poll = (): void => {
    // A queued job's scratch file may still hold an earlier job's output.
    if (!running.started) return;
    const read = readFrom(running.output, offset);
    offset = read.end;
    for (const line of read.text.split('\n')) {
      const p = parseProgress(line);
      if (p) opts.progress(p);
    }
  };
  watch(poll);
  try {
    let code = -1;
    let failure: Error | undefined;
    try {
      code = await running.exit;
    } catch (e) {
      failure = e as Error;
    }
    if (opts.signal.aborted) {
      // The job's shell is gone; make sure nothing the job started outlives the abort.
      if (running.group !== undefined) await waitForGroup(running.group, opts.killGraceMs);
      throw new Error('aborted');
    }
    if (failure) throw failure;
    if (code !== 0) {
      // The job's own output in its log (it may follow an earlier attempt's).
      const offset = running.logOffset;
      const last = offset === undefined ? '' : lastLine(readFrom(job.logFile, offset).text);
      const how = code > 128 ? `was killed by signal ${code - 128}` : `exited with code ${code}`;
      throw exitError(code, how, last);
    }
  } finally {
    unwatch(poll);
    if (killTimer) clearTimeout(killTimer);
    forget();
  }
}

async function waitForGroup(pid: number, graceMs: number): Promise<void> {
  const until = Date.now() + graceMs;
  while (groupAlive(pid)) {
    if (Date.now() >= until) {
      signalGroup(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sizeOf(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/** The file's bytes from `offset` to its end (at most the last 64 KiB), cut at the last newline. */
function readFrom(file: string, offset: number): { text: string; end: number } {
  const size = sizeOf(file);
  if (size <= offset) return { text: '', end: offset };
  const from = Math.max(offset, size - 65536);
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('utf8');
  const cut = text.lastIndexOf('\n');
  return cut < 0
    ? { text: '', end: from }
    : { text: text.slice(0, cut), end: from + Buffer.byteLength(text.slice(0, cut + 1)) };
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !parseProgress(l));
  return lines.at(-1) ?? '';
}
