// Jobs left running by a moe that died (kill -9, out of memory, a crash) are found and stopped before a
// new run or gc takes over its workspace, so that a node never runs twice at once on one checkpoint
// folder. The watchdog in each command worker already stops them within the kill grace; this covers the
// moments before it has, and processes that escaped it (their own process group, a killed watchdog).
//
// A job is recognised by its environment: MOE_OUT inside this workspace's staging folder, which every
// command moe starts locally gets and whatever it starts inherits. A shell line runs in a subshell of its
// worker, whose environment in /proc is the worker's, without MOE_OUT: such a process (and the worker) is
// recognised by the worker's arguments instead, which name the moe that started it (`workerMark`). Slurm jobs (SLURM_JOB_ID set) are
// left alone: they outlive the moe that submitted them by design, and the rerun adopts them. Linux only
// (it reads /proc); elsewhere nothing is found.
import { readdirSync, readFileSync } from 'node:fs';
import type { Workspace } from './workspace.js';
import { signalGroup, workerMark } from '../util/process-group.js';

const POLL_MS = 50;

/**
 * The process groups of jobs still running in this workspace (zombies excluded); with `deadPid`, also
 * those of the command workers that moe process started, and their subshells.
 */
export function leftoverGroups(ws: Workspace, deadPid?: number): Set<number> {
  const marker = `MOE_OUT=${ws.staging}/`;
  // A dead moe that had this process's pid (a restarted container) marked its workers as this one does:
  // its jobs are still found by MOE_OUT, and the watchdogs stop the rest.
  const worker =
    deadPid === undefined || deadPid === process.pid
      ? undefined
      : `\0-s\0${workerMark(deadPid).join('\0')}\0`;
  const own = groupOf('self');
  const groups = new Set<number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    if (!isJob(name, marker) && !isWorker(name, worker)) continue;
    const group = groupOf(name);
    if (group !== undefined && group > 1 && group !== own) groups.add(group);
  }
  return groups;
}

/** A process with MOE_OUT in this workspace's staging folder, not a Slurm job. */
function isJob(pid: string, marker: string): boolean {
  let vars: string[];
  try {
    vars = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return false;
  }
  return vars.some((v) => v.startsWith(marker)) && !vars.some((v) => v.startsWith('SLURM_JOB_ID='));
}

/** A command worker (or a subshell of one) whose arguments end in `mark`. */
function isWorker(pid: string, mark: string | undefined): boolean {
  if (mark === undefined) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').endsWith(mark);
  } catch {
    return false;
  }
}

/**
 * Stops every job left running in this workspace, and with `deadPid` every command worker that moe
 * process started: SIGTERM to each one's process group, SIGKILL to what is left after `graceMs`, and
 * waits until none is running. Returns the groups it signalled.
 */
export async function stopLeftoverJobs(ws: Workspace, graceMs: number, deadPid?: number): Promise<number[]> {
  const found = leftoverGroups(ws, deadPid);
  if (found.size === 0) return [];
  for (const g of found) signalGroup(g, 'SIGTERM');
  const until = Date.now() + graceMs;
  let left = found;
  while (left.size > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = leftoverGroups(ws, deadPid);
  }
  for (const g of left) signalGroup(g, 'SIGKILL');
  for (let i = 0; i < 40 && left.size > 0; i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = leftoverGroups(ws, deadPid);
  }
  return [...found];
}

/** The process group of a process, from /proc/<pid>/stat (the field after the state and the parent). */
function groupOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    const group = Number(fields[2]);
    return Number.isInteger(group) ? group : undefined;
  } catch {
    return undefined;
  }
}

/** The grace between SIGTERM and SIGKILL: MOE_KILL_GRACE_MS, else 5 s (as for aborted steps). */
export function killGraceMs(env: Readonly<Record<string, string | undefined>>): number {
  const ms = Number(env['MOE_KILL_GRACE_MS'] ?? Number.NaN);
  return Number.isFinite(ms) && ms >= 0 ? ms : 5000;
}
