// The watchdog that makes a command's processes die with moe however moe dies (kill -9 included), for
// a shell whose fd 3 is a pipe only moe holds open. It runs as a background subshell in the shell's
// process group and blocks reading fd 3; when moe ends the read returns, and it sends SIGTERM to the
// group, waits up to the grace for the shell ($$) to end, then sends SIGKILL to the group, itself
// included. The shell closes its own fd 3, so what it starts never holds the pipe.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** The grace between SIGTERM and SIGKILL once moe is gone (MOE_KILL_GRACE_MS, else 5 s). */
export function watchdogGraceMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const ms = Number(env['MOE_KILL_GRACE_MS'] ?? Number.NaN);
  return Number.isFinite(ms) && ms >= 0 ? ms : 5000;
}

/**
 * Shell lines that start the watchdog; `$moe_watchdog` is its pid. Fd 3 is still open after them. With
 * `notify`, the watchdog first sends the shell SIGUSR1 (moe is gone), for a shell that traps it (a
 * command worker, whose exit must then leave the watchdog to finish); a program that `exec`s in its place
 * would die of it.
 */
export function startWatchdog(graceMs: number, notify = false): string {
  const polls = Math.ceil(graceMs / 100);
  return (
    `( trap '' TERM INT HUP; read _ <&3; ${notify ? 'kill -USR1 $$ 2>/dev/null; ' : ''}kill -TERM 0; i=0; ` +
    `while kill -0 $$ 2>/dev/null && [ $i -lt ${polls} ]; do sleep 0.1; i=$((i+1)); done; kill -KILL 0 ) ` +
    `</dev/null >/dev/null 2>&1 &\nmoe_watchdog=$!\n`
  );
}

/**
 * Spawns a program in its own process group (`detached`) with a watchdog: the program and whatever it
 * starts die with moe. stdin is /dev/null; stdout and stderr are pipes. The watchdog ends (and stops
 * what the program left running) once the program has exited.
 */
export function spawnGuarded(
  file: string,
  args: readonly string[],
  opts: { readonly cwd: string; readonly env: Readonly<Record<string, string>> },
): ChildProcess {
  const guard = `${startWatchdog(watchdogGraceMs(opts.env))}exec 3<&- "$@"`;
  const options: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  };
  const child = spawn('/bin/sh', ['-c', guard, 'sh', file, ...args], options);
  // `close` waits for every pipe, the watchdog's included: it must end when the program has.
  const pipe = child.stdio[3] as unknown as { destroy?: () => void } | null;
  child.on('exit', () => pipe?.destroy?.());
  child.on('error', () => pipe?.destroy?.());
  return child;
}
