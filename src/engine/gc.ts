// `moe gc`: drop what nothing needs any more. A store entry is kept when a pipeline index or a live record
// names it (an index keeps its entries even when their record files are gone); a record is live when a pipeline index names it or a run that never finished (killed, crashed) committed it, so a
// resumable run loses nothing. Checkpoints are kept unless their node has committed. Runs under the
// workspace lock, so no local run is writing meanwhile (a live run holds it: gc then stops, naming it);
// Slurm jobs outlive the moe that holds the lock, so the folders of jobs recorded as active that are still
// queued or running (or finished with outputs a rerun will take) are kept too.
import { lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { jobsInUse } from './executors/slurm/live-jobs.js';
import type { JobInUse } from './executors/slurm/live-jobs.js';
import type { JobLiveness } from './executors/slurm/slurm-cli.js';
import type { RunEvent } from './events.js';
import { hashTree } from './hashing.js';
import type { LockBusy, LockUnwritable } from './lock.js';
import { killGraceMs, stopLeftoverJobs } from './leftovers.js';
import { acquireLock } from './lock.js';
import type { PipelineIndex } from './store.js';
import { atomicWrite, Store } from './store.js';
import type { NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';
import { recordLine } from './record-log.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import type { Workspace } from './workspace.js';
import { pipelineKey } from './workspace.js';
import { readLastSweep } from './sweep-file.js';

export interface GcReport {
  readonly removedStoreEntries: number;
  readonly removedRecords: number;
  readonly removedCheckpoints: number;
  readonly removedScratch: number;
  readonly freedBytes: number;
  readonly keptStoreEntries: number;
  /** Slurm jobs whose staging, scratch and checkpoint folders were kept because the jobs may still use them. */
  readonly inUseByJobs: readonly JobInUse[];
  /** With `verify`: store entries re-hashed, and those whose bytes no longer match their name (removed). */
  readonly verified?: { readonly checked: number; readonly changed: readonly string[] };
}

export interface GcOptions {
  readonly dryRun?: boolean;
  /** Run journals and logs kept per pipeline, newest first. @default 20 */
  readonly keepRuns?: number;
  /**
   * Re-hash every store entry first; one whose bytes no longer match its digest is removed, so the nodes
   * naming it run again.
   */
  readonly verify?: boolean;
  /** How a recorded Slurm job's state is learnt. @default squeue */
  readonly slurmJobState?: (jobId: string) => Promise<JobLiveness>;
}

export async function collectGarbage(
  ws: Workspace,
  opts: GcOptions = {},
): Promise<Result<GcReport, LockBusy | LockUnwritable>> {
  const lock = await acquireLock(ws.lockFile, { command: 'moe gc', waitMs: 0 });
  if (!lock.ok) return lock;
  try {
    // Jobs left by a run that died may still write into the staging and scratch folders swept below.
    if (lock.value.tookOverFrom)
      await stopLeftoverJobs(ws, killGraceMs(process.env), lock.value.tookOverFrom.pid);
    const jobs = await jobsInUse(join(ws.root, 'slurm'), opts.slurmJobState);
    const verified = opts.verify ? await verifyStore(ws, opts.dryRun ?? false) : undefined;
    return ok({ ...sweep(ws, opts, jobs), ...(verified ? { verified } : {}) });
  } finally {
    lock.value.release();
  }
}

function sweep(ws: Workspace, opts: GcOptions, jobs: readonly JobInUse[]): GcReport {
  const dryRun = opts.dryRun ?? false;
  const inUse = jobs.flatMap((j) => j.folders.map((f) => resolve(f)));
  const busy = (dir: string, name: string): boolean => {
    const p = resolve(dir, name);
    return inUse.some((f) => f === p || f.startsWith(p + sep));
  };
  const reach = reachable(ws);
  const removedRecords = sweepRecords(ws, reach, dryRun);
  const store = sweepStore(ws, reach.digests, dryRun);
  const folders = sweepFolders(ws, reach.fingerprints, busy, dryRun);
  return {
    removedStoreEntries: store.removed,
    removedRecords,
    removedCheckpoints: folders.removedCheckpoints,
    removedScratch: folders.removedScratch + pruneRuns(ws, opts.keepRuns ?? 20, dryRun),
    freedBytes: store.freedBytes + folders.freedBytes,
    keptStoreEntries: store.kept,
    inUseByJobs: jobs,
  };
}

/** What a run may still need: fingerprints and output digests, and since when records are protected. */
interface Reachable {
  readonly fingerprints: Set<string>;
  readonly digests: Set<string>;
  /** The newest index's time: a run whose index could not be written (a full disk) left newer records. */
  readonly newestIndex: number;
  /** When the earliest run without a `run-end` started (Infinity when none). */
  readonly unfinishedSince: number;
}

function reachable(ws: Workspace): Reachable {
  const fingerprints = new Set<string>();
  // Store entries named by an index are kept even when the record file itself is gone (deleted by hand,
  // lost in a crash): the index holds a copy of the record, and the next run writes the file back.
  const digests = new Set<string>();
  let newestIndex = 0;
  for (const name of list(ws.index)) {
    try {
      const path = join(ws.index, name);
      newestIndex = Math.max(newestIndex, statSync(path).mtimeMs);
      const index = JSON.parse(readFileSync(path, 'utf8')) as PipelineIndex;
      for (const r of Object.values(index.nodes)) {
        fingerprints.add(r.fingerprint);
        if (typeof r.outputs?.digest === 'string') digests.add(r.outputs.digest);
      }
    } catch {
      // An unreadable index protects nothing; its records are still reachable through the journals below.
    }
  }
  // A run without a `run-end` was killed before it could write its index: whatever it used, and any
  // record written since it started, may be what its rerun resumes from.
  let unfinishedSince = Infinity;
  for (const name of list(ws.runs).filter((n) => n.endsWith('.jsonl'))) {
    const events = readJournal(join(ws.runs, name));
    if (events.some((e) => e.type === 'run-end')) continue;
    for (const e of events) {
      if (e.type === 'node-done' || e.type === 'node-cached') fingerprints.add(e.fingerprint);
      if (e.type === 'node-done') digests.add(e.outputs);
      if (e.type === 'run-start') unfinishedSince = Math.min(unfinishedSince, e.time);
    }
  }
  return { fingerprints, digests, newestIndex, unfinishedSince };
}

/**
 * Removes records nothing reaches and that are not recent; the kept ones' outputs join `reach.digests`.
 * The kept records are written into one new segment (whole, then renamed into place) before the old
 * segments and the per-file records of the old layout are removed: a gc stopped at any point leaves every
 * kept record readable (at worst twice, which is harmless).
 */
function sweepRecords(ws: Workspace, reach: Reachable, dryRun: boolean): number {
  const store = new Store(ws);
  const log = store.records;
  const live = (fp: string, time: number): boolean =>
    reach.fingerprints.has(fp) || time >= reach.unfinishedSince || time > reach.newestIndex;
  const kept: NodeRecord[] = [];
  const inSegments = new Set(log.fingerprints());
  let removed = 0;
  for (const fp of inSegments) {
    const record = log.get(fp);
    if (record && live(fp, Date.parse(record.finishedAt))) kept.push(record);
    else removed += 1;
  }
  const legacy: string[] = [];
  for (const shard of list(ws.records).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of list(join(ws.records, shard))) {
      const path = join(ws.records, shard, name);
      legacy.push(path);
      const fp = name.replace(/\.json$/, '');
      // A fingerprint with a record in a segment too: that copy is the newer one.
      if (inSegments.has(fp)) continue;
      const record = name.endsWith('.json') ? legacyRecord(path, fp) : undefined;
      const mtime = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (record && live(fp, mtime)) kept.push(record);
      else removed += 1;
    }
  }
  for (const record of kept) reach.digests.add(record.outputs.digest);
  const segments = log.segmentFiles();
  if (dryRun || (removed === 0 && legacy.length === 0 && segments.length <= 1)) return removed;
  try {
    if (kept.length > 0) {
      const name = `${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}-gc.jsonl`;
      atomicWrite(join(ws.records, name), kept.map((r) => `${recordLine(r)}\n`).join(''));
    }
  } catch {
    // No room for the new segment: every record stays where it is.
    return 0;
  }
  for (const path of [...segments, ...legacy]) rmSync(path, { force: true });
  for (const shard of list(ws.records).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    rmSync(join(ws.records, shard), { recursive: true, force: true });
  }
  return removed;
}

/** A record file of the old layout, when it reads whole. */
function legacyRecord(path: string, fp: string): NodeRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isNodeRecord(parsed) && parsed.fingerprint === fp ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function sweepStore(
  ws: Workspace,
  live: ReadonlySet<string>,
  dryRun: boolean,
): { removed: number; kept: number; freedBytes: number } {
  let removed = 0;
  let kept = 0;
  let freedBytes = 0;
  for (const name of list(ws.store)) {
    if (live.has(name)) {
      kept += 1;
      continue;
    }
    removed += 1;
    freedBytes += sizeOf(join(ws.store, name));
    if (!dryRun) rmSync(join(ws.store, name), { recursive: true, force: true });
  }
  return { removed, kept, freedBytes };
}

/** Leftover checkpoints, staging and scratch folders, and the cheap caches. */
function sweepFolders(
  ws: Workspace,
  live: ReadonlySet<string>,
  busy: (dir: string, name: string) => boolean,
  dryRun: boolean,
): { removedCheckpoints: number; removedScratch: number; freedBytes: number } {
  let freedBytes = 0;
  const remove = (path: string): void => {
    freedBytes += sizeOf(path);
    if (!dryRun) rmSync(path, { recursive: true, force: true });
  };
  // A checkpoint whose fingerprint has a live record is leftover; others may resume a run.
  let removedCheckpoints = 0;
  for (const name of list(ws.checkpoints)) {
    if (!live.has(name) || busy(ws.checkpoints, name)) continue;
    removedCheckpoints += 1;
    remove(join(ws.checkpoints, name));
  }
  // Staging and scratch directories belong to attempts that can no longer be running (we hold the lock),
  // except those of Slurm jobs that outlived their moe; so do the folders of Slurm jobs (spec, script,
  // events, output), kept only for a job a rerun may still follow.
  let removedScratch = 0;
  for (const dir of [ws.staging, ws.tmp, join(ws.root, 'slurm', 'jobs')]) {
    for (const name of list(dir)) {
      if (busy(dir, name)) continue;
      removedScratch += 1;
      remove(join(dir, name));
    }
  }
  // Loaded-pipeline and evaluation memo entries are cheap to rebuild, and one is written per edit of a
  // pipeline file or set of parameters.
  for (const memo of ['pipelines', 'evaluations']) {
    for (const name of list(join(ws.cache, memo))) {
      removedScratch += 1;
      remove(join(ws.cache, memo, name));
    }
  }
  return { removedCheckpoints, removedScratch, freedBytes };
}

/** Re-hashes every store entry; those whose content no longer matches their name are removed. */
async function verifyStore(ws: Workspace, dryRun: boolean): Promise<{ checked: number; changed: string[] }> {
  let checked = 0;
  const changed: string[] = [];
  for (const name of list(ws.store)) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    checked += 1;
    let actual: string | undefined;
    try {
      actual = await hashTree(join(ws.store, name));
    } catch {
      actual = undefined;
    }
    if (actual === name) continue;
    changed.push(name);
    if (!dryRun) rmSync(join(ws.store, name), { recursive: true, force: true });
  }
  return { checked, changed };
}

/** Old finished runs' journals and log folders beyond the newest `keep` per pipeline file, but its last sweep's. */
function pruneRuns(ws: Workspace, keep: number, dryRun: boolean): number {
  const byFile = new Map<string, string[]>();
  for (const name of list(ws.runs)
    .filter((n) => n.endsWith('.jsonl'))
    .sort()
    .reverse()) {
    const events = readJournal(join(ws.runs, name));
    const start = events.find((e) => e.type === 'run-start');
    if (!start || start.type !== 'run-start' || !events.some((e) => e.type === 'run-end')) continue;
    byFile.set(start.file, [...(byFile.get(start.file) ?? []), name.replace(/\.jsonl$/, '')]);
  }
  let removed = 0;
  for (const [file, runs] of byFile) {
    // The last sweep's journal stays: `moe status` shows it after later runs.
    const sweep = readLastSweep(ws, pipelineKey(file))?.runId;
    for (const runId of runs.slice(keep).filter((r) => r !== sweep)) {
      removed += 1;
      if (dryRun) continue;
      rmSync(join(ws.runs, `${runId}.jsonl`), { force: true });
      rmSync(join(ws.runs, runId), { recursive: true, force: true });
    }
  }
  return removed;
}

function readJournal(path: string): RunEvent[] {
  const out: RunEvent[] = [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as RunEvent);
    } catch {
      // A line cut short by kill -9.
    }
  }
  return out;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The bytes under `path`, links counted as themselves: a link is never followed out of the workspace or round a loop. */
function sizeOf(path: string): number {
  const s = lstatSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
