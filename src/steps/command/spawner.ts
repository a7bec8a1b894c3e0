// Starting commands through one long-lived `/bin/sh` instead of forking this Node process for each.
// Node's spawn costs milliseconds of main-thread time per child (fork, pipes, stream objects); a shell
// forks in microseconds, which is what lets a DAG of thousands of small commands keep pace with make.
// Each job runs in its own session (`setsid`), so an abort can signal its whole process tree, and writes
// its output straight into the node's log file. Exit codes come back as lines on the shell's stdout.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { LineSplitter } from './lines.js';

export interface ShellJob {
  /** argv of the program to run in the new session (`['/bin/sh', '-c', line]` for a shell line). */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

interface Pending {
  pid?: number;
  code?: number;
  onStart: (pid: number) => void;
  onExit: (code: number) => void;
  onError: (e: Error) => void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class ShellSpawner {
  readonly #child: ChildProcess;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #jobs = new Map<number, Pending>();
  #next = 1;
  #dead: Error | undefined;

  private constructor(child: ChildProcess, env: Readonly<Record<string, string | undefined>>) {
    this.#child = child;
    this.#env = env;
    const lines = new LineSplitter((line) => this.#onLine(line));
    child.stdout?.on('data', (c: Buffer) => lines.push(c));
    child.on('exit', () => this.#fail(new Error('the job shell exited')));
    child.on('error', (e) => this.#fail(e));
    child.stdin?.on('error', (e) => this.#fail(e));
  }

  static #shared: ShellSpawner | undefined;
  static #available: boolean | undefined;

  /** The process-wide spawner, or undefined where `/bin/sh` and `setsid` are not both available. */
  static shared(): ShellSpawner | undefined {
    if (ShellSpawner.#shared && !ShellSpawner.#shared.#dead) return ShellSpawner.#shared;
    ShellSpawner.#available ??=
      spawnSync('/bin/sh', ['-c', 'command -v setsid'], { stdio: 'ignore' }).status === 0;
    if (!ShellSpawner.#available) return undefined;
    const env = { ...process.env };
    // Its own process group: Ctrl-C on the terminal reaches moe, which stops the jobs itself, and not this
    // shell, whose death would cut the jobs' exit codes off.
    const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], env, detached: true });
    // The shell must not keep moe alive, and it exits when moe does (its stdin closes).
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    ShellSpawner.#shared = new ShellSpawner(child, env);
    return ShellSpawner.#shared;
  }

  /**
   * Starts a job; `onStart` gets the pid of its session leader (signal `-pid` to reach the whole tree).
   * Resolves with the exit status (128 + n when killed by signal n).
   */
  run(job: ShellJob, onStart: (pid: number) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#dead) {
        reject(this.#dead);
        return;
      }
      const id = this.#next++;
      this.#jobs.set(id, { onStart, onExit: resolve, onError: reject });
      this.#child.stdin?.write(this.#script(id, job));
    });
  }

  #script(id: number, job: ShellJob): string {
    const exports: string[] = [];
    for (const [k, v] of Object.entries(job.env)) {
      if (NAME.test(k) && this.#env[k] !== v) exports.push(`${k}=${shellQuote(v)}`);
    }
    const unsets = Object.keys(this.#env).filter((k) => NAME.test(k) && !(k in job.env));
    const setup = [
      exports.length > 0 ? `export ${exports.join(' ')}` : '',
      unsets.length > 0 ? `unset ${unsets.join(' ')}` : '',
      `cd ${shellQuote(job.cwd)} || { echo "E ${id} 126"; exit; }`,
    ].filter((s) => s !== '');
    const cmd = job.argv.map(shellQuote).join(' ');
    // The job's shell is started from a subshell that exits at once, so it is adopted (and reaped) by
    // init: the long-lived shell never collects a table of finished background jobs.
    return `( ( ${setup.join('; ')}; setsid ${cmd} </dev/null >>${shellQuote(job.logFile)} 2>&1 & echo "S ${id} $!"; wait $!; echo "E ${id} $?" ) & )\n`;
  }

  #onLine(line: string): void {
    const m = /^([SE]) (\d+) (\d+)$/.exec(line);
    if (!m) return;
    const id = Number(m[2]);
    const value = Number(m[3]);
    const job = this.#jobs.get(id);
    if (!job) return;
    if (m[1] === 'S') {
      job.pid = value;
      job.onStart(value);
    } else {
      this.#jobs.delete(id);
      job.onExit(value);
    }
  }

  #fail(e: Error): void {
    if (this.#dead) return;
    this.#dead = e;
    for (const job of this.#jobs.values()) job.onError(e);
    this.#jobs.clear();
  }
}
