// Jobs left running by a moe that died (kill -9, out of memory, a crash) are found and stopped before a
// new run or gc takes over its workspace, so that a node never runs twice at once on one checkpoint
// folder. The watchdog in each command worker already stops them within the kill grace; this covers the
// moments before it has, and processes that escaped it (their own process group, a killed watchdog).
//
// A job is recognised by its environment: MOE_OUT inside this workspace's staging folder, which every
// command moe starts locally gets and whatever it starts inherits. Slurm jobs (SLURM_JOB_ID set) are
// left alone: they outlive the moe that submitted them by design, and the rerun adopts them. Linux only
// (it reads /proc); elsewhere nothing is found.
import { readdirSync, readFileSync } from 'node:fs';
import type { Workspace } from './workspace.js';
import { signalGroup } from '../util/process-group.js';

const POLL_MS = 50;

/** The process groups of jobs still running in this workspace (zombies excluded). */
export function leftoverGroups(ws: Workspace): Set<number> {
  const marker = `MOE_OUT=${ws.staging}/`;
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
    let vars: string[];
    try {
      vars = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (!vars.some((v) => v.startsWith(marker)) || vars.some((v) => v.startsWith('SLURM_JOB_ID='))) continue;
    const group = groupOf(name);
    if (group !== undefined && group > 1 && group !== own) groups.add(group);
  }
  return groups;
}

/**
 * Stops every job left running in this workspace: SIGTERM to each one's process group, SIGKILL to what
 * is left after `graceMs`, and waits until none is running. Returns the groups it signalled.
 */
export async function stopLeftoverJobs(ws: Workspace, graceMs: number): Promise<number[]> {
  const found = leftoverGroups(ws);
  if (found.size === 0) return [];
  for (const g of found) signalGroup(g, 'SIGTERM');
  const until = Date.now() + graceMs;
  let left = found;
  while (left.size > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = leftoverGroups(ws);
  }
  for (const g of left) signalGroup(g, 'SIGKILL');
  for (let i = 0; i < 40 && left.size > 0; i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = leftoverGroups(ws);
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
