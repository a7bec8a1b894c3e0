// Starting commands through long-lived `/bin/sh` workers instead of forking this Node process for each.
// Forking Node costs milliseconds per child (its page tables are copied, and afterwards every page it
// writes faults once more). A worker runs a shell line in a subshell of itself (a fork of dash, no exec),
// so a job costs less than under make, which execs `sh -c` for it; a line that could see its shell's
// pid, and `argv`, run as foreground commands, which dash starts with vfork.
//
// Each worker is its own session and process group and runs one job at a time, so signalling the
// worker's group reaches the job and everything it started. A worker whose job was signalled is retired
// (never handed another job); the others are reused. Exit codes come back as lines on the worker's
// stdout.
//
// A job may be queued behind a running one (`after`): its line is written to that job's worker at once,
// and the worker starts it the moment the running job exits, without waiting for this process to read
// the exit line and hand over the next job. A worker holds at most one queued job. A queued job has not
// started until its predecessor's exit line is read (`onStart` is called then); signalling it before
// signals the worker's group, whose TERM trap then exits before the queued line runs. A queued job with a
// `haltFile` starts only when the job before it exited 0 and that file does not exist (the run stopped
// after a failure elsewhere); the worker says which (`S`: started, `W`: withdrawn, `onWithdrawn`).
// A queued job given `onQueued` may be moved to another worker (`startElsewhere`) while the job before
// it still runs: moe makes a `moved` mark file the worker looks for before starting the job (it then says
// `M`), and moves the job only when, after making the mark, it has read no exit line for the job before
// (read at once from the worker's output): the worker writes that line before it looks for the mark, so
// it will find it. Otherwise the job stays, and the worker starts it or says `M`, and moe starts it
// elsewhere then: it runs once either way, and the common case (no move) makes no file.
//
// A job writes its output into one of its worker's two scratch files beside the node's log (the other
// one belongs to the job before or after it, whose output is still to be delivered). When the job ends, output there becomes the log: renamed into place when the log does
// not exist yet, appended to it otherwise. A silent job thus creates no log file, which matters where
// creating a file is the dearest thing a small job does (ext4 without a journal scans past every
// recently deleted inode for a free one). Output a job's leftover background processes write after it
// ended is not kept.
//
// Jobs die with moe however moe dies. Each worker starts a watchdog, a subshell in its process group
// that blocks reading a pipe only moe holds open (the worker's fd 3, closed in the worker itself so jobs
// do not inherit it). When moe ends, even by kill -9, the read returns and the watchdog sends SIGTERM to
// the group, waits for the worker (which outlives its job: its TERM trap runs once the job has ended) up
// to the kill grace, then sends SIGKILL to the group, itself included. A worker that ends because moe
// is gone (the end of its input, or the watchdog's SIGUSR1 before its SIGTERM) leaves the watchdog to do
// so, so what its jobs left in the background dies too, even when it ignores SIGTERM; a worker moe
// stopped itself (SIGTERM while moe lives) kills and reaps its watchdog first, so an aborted job still
// leaves an empty process group behind. Either way the worker sends SIGTERM to whatever its jobs left
// running in the background: nothing moe started outlives it.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineSplitter } from './lines.js';
import { startWatchdog, watchdogGraceMs } from './watchdog.js';
import { workerMark } from '../../util/process-group.js';

export interface ShellJob {
  /** The program and its arguments (`['/bin/sh', '-c', line]` for a shell line). */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The job's whole environment: variables the worker has and this lacks are unset for the job. */
  readonly env: Readonly<Record<string, string>>;
  /** Variables set on top of `env` (a name in both takes this value): part of the whole environment. */
  readonly extraEnv?: Readonly<Record<string, string>> | undefined;
  /** Where the job's output ends up (created only when there is output). */
  readonly logFile: string;
}

export interface RunningJob {
  /**
   * The exit status (128 + n when killed by signal n); rejects when the worker dies first. By then the
   * job's output is in its log file.
   */
  readonly exit: Promise<number>;
  /** The file the job's output goes to while it runs. */
  readonly output: string;
  /** The process group the job runs in (the worker's), for checking that all of it is gone. */
  readonly group: number | undefined;
  /** Whether the job has started (a queued one starts when the job before it on its worker ends). */
  readonly started: boolean;
  /**
   * Once the job has ended: where its output begins in its log file; undefined when it wrote nothing
   * (or its output could not be kept).
   */
  readonly logOffset: number | undefined;
  /** Signals the job's process group, unless the job has finished; its worker is retired. */
  kill(signal: NodeJS.Signals): void;
  /**
   * For a job queued with `onQueued`: starts it at once on another worker unless its own may have
   * started it; true when it did. The job runs once either way (see `onQueued`).
   */
  startElsewhere(): boolean;
}

export interface RunOptions {
  /** A running job to queue this one behind, on its worker; the job starts at once when it cannot be. */
  readonly after?: RunningJob | undefined;
  /**
   * For a queued job: it starts only when the job before it exited 0 and this file does not exist then;
   * otherwise it is withdrawn (`onWithdrawn`, and `exit` rejects) and never runs.
   */
  readonly haltFile?: string | undefined;
  /** Called when the job starts: at once, or for a queued job when the job before it ends. */
  readonly onStart?: ((job: RunningJob) => void) | undefined;
  /** Called when a queued job with a `haltFile` was withdrawn instead of started. */
  readonly onWithdrawn?: (() => void) | undefined;
  /**
   * Called when the job was queued (not started at once): `startElsewhere` may then move it to another
   * worker while its own is still running the job before it. Moving marks the job with a file its
   * worker looks for before starting it (see `startElsewhere` in `run`).
   */
  readonly onQueued?: ((job: RunningJob) => void) | undefined;
}

/** A job across the workers it is placed on (more than one once moved): what `run` made for it. */
interface JobState {
  /** Kept until the job starts (or is withdrawn): a move writes its line anew. */
  job: ShellJob | undefined;
  readonly logFile: string;
  readonly haltFile: string | undefined;
  /** Queued with `onQueued`: `startElsewhere` may move it. */
  readonly movable: boolean;
  readonly running: Job;
  finished: boolean;
  /** Dropped once either is called. */
  onStart: ((job: RunningJob) => void) | undefined;
  onWithdrawn: (() => void) | undefined;
  readonly resolveExit: (code: number) => void;
  readonly rejectExit: (e: Error) => void;
  /** The worker the job is on. */
  on: Worker;
}

/** A job handed to a worker, running or queued. */
interface Pending {
  readonly output: string;
  readonly logFile: string;
  /** Set when the job's output was moved into its log file: where it begins there. */
  logOffset: number | undefined;
  readonly resolve: (code: number) => void;
  readonly reject: (e: Error) => void;
  /** Marks the job started and tells the caller. */
  readonly start: () => void;
  /** The worker decides whether it starts (a queued job with a halt file): it says `S` or `W`. */
  readonly guarded: boolean;
  /** Ends a guarded job the worker did not start. */
  readonly withdraw: () => void;
  /** For a movable queued job: the file whose existence tells its worker not to start it (`M`). */
  readonly moved: string | undefined;
  /** Whether moe made that file (most jobs are never moved: no file to remove, no failing unlink). */
  marked: boolean;
  /** Starts the job on another worker (its worker said `M`), unless it was moved already. */
  readonly relocate: () => void;
}

interface Worker {
  readonly child: ChildProcess;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** What the last job's line unset, for the next (see `script`). */
  readonly unsetMemo: UnsetMemo;
  current: Pending | undefined;
  /** The job queued behind `current`, started by the worker when `current` ends. */
  next: Pending | undefined;
  /** Jobs handed to this worker so far: their parity picks the scratch file. */
  jobs: number;
  retired: boolean;
  /**
   * Reads what the worker has written so far at once and handles its lines; false when that cannot be
   * done (output read but not yet handled, no descriptor).
   */
  drain: () => boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NO_ENV: Readonly<Record<string, string>> = Object.freeze({});
/** Which variable names a shell can assign, by name: every job asks again of the same forty or so. */
const names = new Map<string, boolean>();

function isName(k: string): boolean {
  let yes = names.get(k);
  if (yes === undefined) {
    yes = NAME.test(k);
    if (names.size < 4096) names.set(k, yes);
  }
  return yes;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A job as `run` returns it. A class, not an object literal: a literal with getters is a dictionary of its
 * own, its accessors defined anew for every job.
 */
class Job implements RunningJob {
  started = false;
  /** Where the job's output went (set once `run` has made it; once moved, the entry on its new worker). */
  entry: Pending | undefined;
  output = '';
  group: number | undefined;

  constructor(
    readonly exit: Promise<number>,
    readonly kill: (signal: NodeJS.Signals) => void,
    readonly startElsewhere: () => boolean,
  ) {}

  get logOffset(): number | undefined {
    return this.entry?.logOffset;
  }
}

export class ShellSpawner {
  readonly #idle: Worker[] = [];
  /** The worker and entry of each job not yet ended, for queuing another behind it. */
  readonly #placed = new WeakMap<RunningJob, { readonly worker: Worker; readonly pending: Pending }>();
  /** Scratch files made so far, removed when this process exits. */
  readonly #scratch = new Set<string>();

  /** Whether this shell runs a line in a subshell of itself as `sh -c` would (see `forks`). */
  #forks: boolean | undefined;

  /** `shell`: the POSIX shell the workers run (tests use others than `/bin/sh`). */
  constructor(readonly shell = '/bin/sh') {
    process.once('exit', () => {
      for (const file of this.#scratch) {
        try {
          unlinkSync(file);
        } catch {
          // Moved into a log, or never created.
        }
      }
    });
  }

  static #shared: ShellSpawner | undefined;

  /** The process-wide spawner. */
  static shared(): ShellSpawner {
    ShellSpawner.#shared ??= new ShellSpawner();
    return ShellSpawner.#shared;
  }

  /**
   * Starts a job on an idle worker (or a new one), or with `after` queues it behind that job on its
   * worker when that job is still running and nothing is queued there yet.
   */
  run(job: ShellJob, opts: RunOptions = {}): RunningJob {
    const { worker, queue } = this.#workerFor(opts.after);
    let resolveExit: (code: number) => void = () => undefined;
    let rejectExit: (e: Error) => void = () => undefined;
    const exit = new Promise<number>((resolveP, rejectP) => {
      resolveExit = resolveP;
      rejectExit = rejectP;
    });
    // Called only once `state` is made.
    const running = new Job(
      exit,
      (signal) => this.#kill(state, signal),
      () => this.#startElsewhere(state),
    );
    // `opts` is never kept: this job's state must not keep what knows the job before it (`after`), and
    // so, job by job, every job of the run.
    const state: JobState = {
      job,
      logFile: resolve(job.logFile),
      haltFile: opts.haltFile,
      movable: queue && opts.onQueued !== undefined,
      running,
      finished: false,
      onStart: opts.onStart,
      onWithdrawn: opts.onWithdrawn,
      resolveExit,
      rejectExit,
      on: worker,
    };
    this.#place(state, worker, queue);
    if (state.movable) opts.onQueued?.(running);
    return running;
  }

  #kill(state: JobState, signal: NodeJS.Signals): void {
    const group = state.running.group;
    if (state.finished || group === undefined) return;
    this.#retire(state.on);
    try {
      process.kill(-group, signal);
    } catch {
      // Already gone.
    }
  }

  /**
   * A queued job's worker says `E` for the job before it, then looks for this job's `moved` file. So
   * when, after the file was made, the worker has still said no `E` for the job before, it will find the
   * file (and say `M`, which then does nothing) and the job starts elsewhere now. When that `E` has come,
   * the worker may have looked already: the job stays, and its worker starts it (`S`) or says `M` and it
   * starts elsewhere then (`relocate`), on the slot the job before it leaves.
   */
  #startElsewhere(state: JobState): boolean {
    const { running } = state;
    const entry = running.entry;
    const on = state.on;
    const queued = (): boolean =>
      !state.finished && !running.started && running.entry === entry && on.next === entry;
    if (entry?.moved === undefined || !queued() || !on.drain() || !queued()) return false;
    try {
      closeSync(openSync(entry.moved, 'w'));
    } catch {
      return false;
    }
    entry.marked = true;
    this.#scratch.add(entry.moved);
    if (!on.drain() || !queued()) return false;
    this.#place(state, undefined, false);
    return true;
  }

  /**
   * Makes the job's entry on `on` (undefined: an idle worker or a new one) and writes its line there; a
   * later call (the job moved) replaces the entry, whose callbacks then do nothing.
   */
  #place(state: JobState, on: Worker | undefined, queued: boolean): void {
    const { job, running, logFile, haltFile } = state;
    if (job === undefined) return;
    const w = on ?? this.#idle.pop() ?? this.#spawnWorker();
    const output = join(dirname(logFile), `.job-${w.child.pid ?? 'x'}-${w.jobs % 2}.out`);
    w.jobs += 1;
    this.#scratch.add(output);
    const moved = queued && state.movable ? `${output}.moved` : undefined;
    const entry: Pending = {
      output,
      logFile,
      logOffset: undefined,
      resolve: (code) => {
        if (running.entry !== entry) return;
        state.finished = true;
        this.#placed.delete(running);
        state.resolveExit(code);
      },
      reject: (e) => {
        if (running.entry !== entry) return;
        state.finished = true;
        this.#placed.delete(running);
        state.rejectExit(e);
      },
      start: () => {
        if (running.entry !== entry) return;
        running.started = true;
        state.job = undefined;
        const call = state.onStart;
        state.onStart = undefined;
        state.onWithdrawn = undefined;
        call?.(running);
      },
      guarded: queued && (haltFile !== undefined || moved !== undefined),
      withdraw: () => {
        if (running.entry !== entry) return;
        state.finished = true;
        state.job = undefined;
        this.#placed.delete(running);
        const call = state.onWithdrawn;
        state.onStart = undefined;
        state.onWithdrawn = undefined;
        call?.();
        state.rejectExit(new Error('withdrawn before it started: the run stopped after a failure'));
      },
      moved,
      marked: false,
      relocate: () => {
        if (running.entry === entry && !state.finished) this.#place(state, undefined, false);
      },
    };
    state.on = w;
    running.entry = entry;
    running.output = output;
    running.group = w.child.pid;
    this.#placed.set(running, { worker: w, pending: entry });
    if (queued) w.next = entry;
    else w.current = entry;
    const line = script(job, output, w.env, this.#subshells(), w.unsetMemo);
    writeLine(w, entry.guarded ? guardedLine(line, haltFile, moved) : line);
    if (!queued) entry.start();
  }

  /** Behind `after` on its worker when a job can be queued there; otherwise an idle worker or a new one. */
  #workerFor(after: RunningJob | undefined): { worker: Worker; queue: boolean } {
    const lead = after === undefined ? undefined : this.#placed.get(after);
    const queue =
      lead !== undefined &&
      !lead.worker.retired &&
      lead.worker.current === lead.pending &&
      lead.worker.next === undefined;
    return { worker: queue ? lead.worker : (this.#idle.pop() ?? this.#spawnWorker()), queue };
  }

  /**
   * The subshell path needs a shell that takes `set +s` and an assignment to `PPID`, as dash does; bash
   * (`/bin/sh` on Fedora, Arch and macOS) refuses both, so there every line gets an `sh -c` of its own.
   * Asked once, of the shell itself.
   */
  #subshells(): boolean {
    this.#forks ??=
      spawnSync(this.shell, ['-c', '( set +s; PPID=1 ) 2>/dev/null'], { stdio: 'ignore' }).status === 0;
    return this.#forks;
  }

  #spawnWorker(): Worker {
    const env = { ...process.env };
    // `detached`: its own session and process group. Ctrl-C on the terminal reaches moe, which stops the
    // jobs itself, and a signal to the group reaches the job's whole process tree.
    const child = spawn(this.shell, ['-s', ...workerMark(process.pid)], {
      stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
      env,
      detached: true,
    });
    // Workers must not keep moe alive, and they exit when moe does (their stdin closes).
    child.unref();
    const watchdogPipe = child.stdio[3] as unknown as { unref?: () => void; destroy?: () => void } | null;
    for (const stream of [child.stdout, child.stdin, watchdogPipe]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    child.stdin?.write(workerPrologue(watchdogGraceMs()));
    const worker: Worker = {
      child,
      env,
      unsetMemo: { names: undefined, unsets: [] },
      current: undefined,
      next: undefined,
      jobs: 0,
      retired: false,
      drain: () => false,
    };
    const lines = new LineSplitter((line) => {
      const current = worker.current;
      if (!current) return;
      if (line === 'S') {
        dropMark(current);
        return current.start();
      }
      if (line === 'W' || line === 'M') {
        worker.current = undefined;
        if (!worker.retired) this.#idle.push(worker);
        // `M`: the worker found the mark.
        dropMark(current, line === 'M');
        return line === 'W' ? current.withdraw() : current.relocate();
      }
      const m = /^E (\d+)( empty)?$/.exec(line);
      if (!m) return;
      // The queued job, if any, is running already: the worker read its line as this one ended. Not on
      // a worker whose group was signalled: its TERM trap exits before the next line (a job that had
      // just started there was signalled with it).
      const queued = worker.next;
      const next = worker.retired ? undefined : queued;
      worker.current = next;
      worker.next = undefined;
      // Before the worker can take another job, which would truncate this job's scratch file. The worker
      // says when the job wrote nothing there (most jobs): then there is nothing to look at.
      const delivered = m[2] === undefined ? deliver(current) : undefined;
      if (next === undefined && !worker.retired) this.#idle.push(worker);
      // A guarded job's worker says whether it started.
      if (next !== undefined && !next.guarded) next.start();
      if (next !== queued) queued?.reject(new Error("the job's shell was stopped before the job started"));
      if (delivered === undefined) current.resolve(Number(m[1]));
      else current.reject(delivered);
    });
    child.stdout?.on('data', (c: Buffer) => lines.push(c));
    worker.drain = () => drainNow(child, lines);
    const die = (e: Error, unstarted: Error = e): void => {
      this.#retire(worker);
      const { current, next } = worker;
      worker.current = undefined;
      worker.next = undefined;
      if (current) {
        deliver(current);
        current.reject(e);
      }
      next?.reject(unstarted);
    };
    child.on('exit', (code, signal) => {
      watchdogPipe?.destroy?.();
      const how = signal ?? `exit code ${code ?? '?'}`;
      die(
        new Error(`the job's shell ended (${how}) before the job did`),
        new Error(`the job's shell ended (${how}) before the job started`),
      );
    });
    child.on('error', (e) => die(new Error(`could not start ${this.shell}: ${e.message}`)));
    child.stdin?.on('error', (e) => die(e));
    return worker;
  }

  #retire(worker: Worker): void {
    worker.retired = true;
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    worker.child.stdin?.end();
  }
}

/**
 * Hands a job's line to its worker. A line that fits in the pipe's atomic write (PIPE_BUF, 4096 bytes on
 * Linux) is written at once with one `write`: on the non-blocking pipe it goes whole or not at all, and
 * the stream's machinery costs more per job than the write itself. Otherwise, with writes queued on the
 * stream, or when the pipe is full or broken, the stream writes it (and reports a broken pipe as its
 * error, which ends the worker's jobs).
 */
function writeLine(worker: Worker, line: string): void {
  const stdin = worker.child.stdin;
  if (stdin === null) return;
  const fd = (stdin as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (
    fd !== undefined &&
    fd >= 0 &&
    stdin.writableLength === 0 &&
    line.length <= PIPE_BUF &&
    Buffer.byteLength(line) <= PIPE_BUF
  ) {
    let written = 0;
    try {
      written = writeSync(fd, line);
    } catch {
      // Full (EAGAIN: nothing was written) or broken: the stream deals with it.
    }
    if (written > 0) {
      if (written < Buffer.byteLength(line)) stdin.write(Buffer.from(line).subarray(written));
      return;
    }
  }
  stdin.write(line);
}

/** Bytes a pipe writes atomically (POSIX guarantees at least 512; Linux has 4096). */
const PIPE_BUF = 4096;

/** Moves a job's output into its log file, noting where it begins there; an error when that failed. */
function deliver(job: Pending): Error | undefined {
  const { output, logFile } = job;
  try {
    if (statSync(output).size === 0) return undefined;
    const size = statSync(logFile, { throwIfNoEntry: false })?.size;
    if (size === undefined) {
      renameSync(output, logFile);
      job.logOffset = 0;
      return undefined;
    }
    appendFile(output, logFile);
    job.logOffset = size;
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? undefined
      : new Error(`could not keep the command's output: ${(e as Error).message}`);
  }
}

function appendFile(from: string, to: string): void {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'a');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(src, buf); n > 0; n = readSync(src, buf)) writeSync(dst, buf, 0, n);
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

/**
 * The worker's first lines: the watchdog; a TERM trap that keeps the worker alive until its job has
 * ended; an EXIT trap that sends SIGTERM to what the worker's jobs left running in its group, and, when
 * moe stopped the worker (SIGTERM while moe lives), kills and reaps the watchdog first (so it never
 * lingers as an orphan in the group); and fd 3 closed. When moe is gone (its end closed the worker's
 * input, or the watchdog's SIGUSR1 came before its SIGTERM; a shell runs pending traps in signal order)
 * the watchdog is left to send SIGKILL to the group once the worker has ended: what a finished job left
 * in the background and that ignores SIGTERM dies with moe too.
 */
function workerPrologue(graceMs: number): string {
  return (
    startWatchdog(graceMs, true) +
    `trap 'moe_gone=1' USR1\n` +
    `trap 'if [ -n "$moe_term" ] && [ -z "$moe_gone" ]; then kill -KILL $moe_watchdog 2>/dev/null; wait $moe_watchdog; fi; trap "" TERM; kill -TERM 0' EXIT\n` +
    `trap 'moe_term=1; exit 143' TERM\nexec 3<&-\n`
  );
}

/**
 * The variables a worker has that a job's environment lacks (to unset for the job), kept with the names
 * of the job's environment (`env`'s, then BETWEEN, then `extraEnv`'s) they were found for: the next job
 * with the same names needs the same, and is spared a pass over the worker's forty-odd variables.
 */
interface UnsetMemo {
  names: readonly string[] | undefined;
  unsets: readonly string[];
}

/** Between `env`'s names and `extraEnv`'s in `UnsetMemo.names`: no variable's name (a NUL ends one). */
const BETWEEN = '\0';

/**
 * The worker's command line for one job; it prints `E <status>` when the job ends, `E <status> empty`
 * when the job wrote no output.
 */
function script(
  job: ShellJob,
  output: string,
  workerEnv: Readonly<Record<string, string | undefined>>,
  subshells: boolean,
  memo: UnsetMemo,
): string {
  const env = job.env;
  const extra = job.extraEnv ?? NO_ENV;
  const assigns: string[] = [];
  // Whether the job's variables have the names the memo's had, in the same order (most jobs: the run's
  // environment with the node's few variables): then the variables to unset are the memo's.
  const names = memo.names;
  let same = names !== undefined;
  let i = 0;
  for (const k in env) {
    if (same && names?.[i] !== k) same = false;
    i += 1;
    const v = env[k] as string;
    if (workerEnv[k] !== v && Object.hasOwn(env, k) && !Object.hasOwn(extra, k) && isName(k))
      assigns.push(`${k}=${shellQuote(v)}`);
  }
  if (same && names?.[i] !== BETWEEN) same = false;
  i += 1;
  for (const k in extra) {
    if (same && names?.[i] !== k) same = false;
    i += 1;
    const v = extra[k] as string;
    if (workerEnv[k] !== v && Object.hasOwn(extra, k) && isName(k)) assigns.push(`${k}=${shellQuote(v)}`);
  }
  if (same && names?.length !== i) same = false;
  let unsets = memo.unsets;
  if (!same) {
    const found: string[] = [];
    for (const k in workerEnv)
      if (!Object.hasOwn(env, k) && !Object.hasOwn(extra, k) && isName(k)) found.push(k);
    const seen: string[] = [];
    for (const k in env) seen.push(k);
    seen.push(BETWEEN);
    for (const k in extra) seen.push(k);
    memo.names = seen;
    memo.unsets = unsets = found;
  }
  const line = shellLine(job.argv);
  const body =
    subshells && line !== undefined && !needsOwnShell(line)
      ? subshell(line, assigns, unsets, Object.hasOwn(extra, 'OLDPWD') ? extra['OLDPWD'] : env['OLDPWD'])
      : commandBody(job.argv, assigns, unsets);
  const out = shellQuote(output);
  return `if cd ${shellQuote(resolve(job.cwd))} 2>${out}; then ${body} </dev/null >${out} 2>&1; moe_s=$?; if [ -s ${out} ]; then echo "E $moe_s"; else echo "E $moe_s empty"; fi; else moe_s=126; echo "E 126"; fi\n`;
}

/**
 * A queued job's line (see `script`) that the worker starts only when the job before it exited 0
 * (`$moe_s`) and the halt file does not exist, saying `S`; otherwise it says `W` and runs nothing.
 */
function guardedLine(line: string, haltFile: string | undefined, moved: string | undefined): string {
  const run =
    moved === undefined
      ? `echo S; ${line.trimEnd()}`
      : `if [ ! -e ${shellQuote(moved)} ]; then echo S; ${line.trimEnd()}; else echo M; fi`;
  return haltFile === undefined
    ? `${run}\n`
    : `if [ "$moe_s" = 0 ] && [ ! -e ${shellQuote(haltFile)} ]; then ${run}; else echo W; fi\n`;
}

/**
 * Removes a moved job's mark once its worker has said what it did with the job: when moe made it or the
 * worker found it (`found`). Most jobs are never marked, and a failing unlink per job cost 0.03 ms.
 */
function dropMark(entry: Pending, found = false): void {
  if (entry.moved === undefined || !(entry.marked || found)) return;
  try {
    unlinkSync(entry.moved);
  } catch {
    // Gone already.
  }
}

/**
 * Reads everything the worker has written to its stdout so far, at once, and hands it to its lines:
 * false when that cannot be done in order (the stream holds output not yet handled) or at all.
 */
function drainNow(child: ChildProcess, lines: LineSplitter): boolean {
  const stdout = child.stdout;
  const fd = (stdout as unknown as { _handle?: { fd?: number } | null } | null)?._handle?.fd;
  if (stdout === null || fd === undefined || fd < 0 || stdout.readableLength > 0) return false;
  const buf = Buffer.allocUnsafe(4096);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      // EAGAIN: nothing more for now (the descriptor does not block).
      return (e as NodeJS.ErrnoException).code === 'EAGAIN';
    }
    if (n === 0) return true;
    lines.push(buf.toString('utf8', 0, n));
  }
}

/** The line of a `['/bin/sh', '-c', line]` job; undefined for any other argv. */
function shellLine(argv: readonly string[]): string | undefined {
  return argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c' ? argv[2] : undefined;
}

/**
 * True when a shell line can observe which shell process runs it: `$$` (or `${$}`), or a file sourced
 * with `.` or `source`, which could do the same. Such a line gets an `sh -c` of its own; any other line
 * cannot tell a subshell of the worker from a fresh `sh -c`.
 */
export function needsOwnShell(line: string): boolean {
  return /\$\$|\$\{\$|(?:^|[\s;&|(){}`])(?:\.|source)(?:\s|$)/.test(line);
}

/**
 * A shell line run in a subshell of the worker (a fork of dash, no exec), as `sh -c` would run it: the
 * worker's `s` flag, arguments and variables gone, the job's environment exported, `$PPID` the worker (the parent an
 * `sh -c` would have), `OLDPWD` (`old`) only when the job's environment has it. Parsed by `eval` inside the
 * subshell, so a syntax error fails the job (exit 2) and never the worker.
 */
function subshell(
  line: string,
  assigns: readonly string[],
  unsets: readonly string[],
  old: string | undefined,
): string {
  const exports = old === undefined ? assigns : [...assigns, `OLDPWD=${shellQuote(old)}`];
  const unset = ['moe_watchdog', 'moe_s', ...(old === undefined ? ['OLDPWD'] : []), ...unsets];
  return `( set +s; set --; unset ${unset.join(' ')}; ${exports.length > 0 ? `export ${exports.join(' ')}; ` : ''}PPID=$$; eval ${shellQuote(execLast(line))} )`;
}

/** Words a shell runs itself (dash's and bash's builtins, reserved words): never exec'd in their place. */
const SHELL_OWN = new Set(
  (
    '. : [ [[ ]] ! { } alias bg bind break builtin caller case cd chdir command compgen complete compopt ' +
    'continue declare dirs disown do done echo elif else enable esac eval exec exit export false fc fg fi ' +
    'for function getopts hash help history if in jobs kill let local logout mapfile popd printf pushd pwd ' +
    'read readarray readonly return select set shift shopt source suspend test then time times trap true ' +
    'type typeset ulimit umask unalias unset until wait while'
  ).split(' '),
);

// A simple command, read token by token (one regular expression over the whole line, with its nested
// repetitions, backtracked exponentially on a long line that did not match: minutes on a multi-line
// `run:`). Its program name; then words separated by blanks, each one or more pieces: unquoted safe
// characters, single-quoted text, or double-quoted text whose only expansions are plain variables; a
// word may follow a redirection of a file to or from a descriptor.
const NAME_AT = /[A-Za-z0-9_.+-]+/y;
const BLANKS_AT = /[ \t]*/y;
const REDIRECT_AT = /[0-9]?(?:>>|>|<)[ \t]*/y;
const PIECE_AT =
  /(?:[A-Za-z0-9_./:,+@%=-]+|'[^'\n]*'|"(?:[^"\\`$\n]|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})*")/y;

/** The end of `re`'s match at `at` in `line`, or -1. */
function matchAt(re: RegExp, line: string, at: number): number {
  re.lastIndex = at;
  return re.test(line) ? re.lastIndex : -1;
}

/** The program a line runs when it is one simple command of plain words (see above); else undefined. */
function simpleCommand(line: string): string | undefined {
  let at = matchAt(BLANKS_AT, line, 0);
  const end = matchAt(NAME_AT, line, at);
  if (end < 0) return undefined;
  const name = line.slice(at, end);
  at = end;
  for (;;) {
    const blanks = matchAt(BLANKS_AT, line, at);
    if (blanks === line.length) return name;
    if (blanks === at) return undefined;
    at = blanks;
    const redirect = matchAt(REDIRECT_AT, line, at);
    if (redirect >= 0) at = redirect;
    let piece = matchAt(PIECE_AT, line, at);
    if (piece < 0) return undefined;
    while (piece >= 0) {
      at = piece;
      piece = piece < line.length ? matchAt(PIECE_AT, line, at) : -1;
    }
  }
}

/**
 * A line that is one simple command running a program found on PATH becomes `exec` of it: the subshell,
 * which would only wait for the program, becomes it instead of forking once more (the program's parent is
 * then the worker, a shell waiting for it as the subshell was). Anything
 * else is left as it is: several commands, pipes, builtins, assignments, expansions other than plain
 * variables, a program named with a slash, and one the shell does not find on PATH as an executable file
 * (`command -v`), so the shell's own messages ("not found", "Permission denied") stay the same.
 */
export function execLast(line: string): string {
  const name = simpleCommand(line);
  if (name === undefined || SHELL_OWN.has(name)) return line;
  return `if command -v ${name} >/dev/null; then exec ${line.trim()}; fi; ${line}`;
}

/** A program (or a line that needs its own shell) started by the worker: vfork, then exec. */
function commandBody(argv: readonly string[], assigns: readonly string[], unsets: readonly string[]): string {
  const [program] = argv;
  const cmd = argv.map(shellQuote).join(' ');
  // A program named with a slash runs as a plain foreground command (vfork, then exec). Any other name
  // might be a shell builtin (`eval`, `exit`): `exec` in a subshell only ever runs a program, which is
  // what `argv` promises. Unsetting variables also needs the subshell, so the worker keeps its own.
  const plain = unsets.length === 0 && program !== undefined && program.includes('/');
  return plain
    ? `${assigns.join(' ')} ${cmd}`
    : `( ${unsets.length > 0 ? `unset ${unsets.join(' ')}; ` : ''}${assigns.length > 0 ? `export ${assigns.join(' ')}; ` : ''}exec ${cmd} )`;
}
