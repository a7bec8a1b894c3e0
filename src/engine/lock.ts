// One writer per workspace. The lock file holds the holder's PID; a second `moe run` waits for it or stops
// with a message naming that PID, and a lock whose process is gone is taken over.
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
  /** The holder's /proc/<pid>/cmdline where there is one: tells it from a later process given its pid. */
  readonly cmdline?: string;
}

export interface WorkspaceLock {
  readonly file: string;
  /** The holder whose lock was taken over because its process was gone (it may have left jobs behind). */
  readonly tookOverFrom: LockHolder | undefined;
  release(): void;
}

export interface LockBusy {
  readonly reason: 'locked';
  readonly file: string;
  readonly holder: LockHolder;
}

/** The lock file could not be created: the workspace is read-only, on a full disk, or not a folder. */
export interface LockUnwritable {
  readonly reason: 'unwritable';
  readonly file: string;
  /** The system's words, e.g. `EACCES: permission denied, mkdir '/data/.moe'`. */
  readonly message: string;
}

export interface LockOptions {
  readonly command: string;
  /** Keep trying until this many milliseconds have passed; 0 gives up at once. */
  readonly waitMs: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

export async function acquireLock(
  file: string,
  opts: LockOptions,
): Promise<Result<WorkspaceLock, LockBusy | LockUnwritable>> {
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    let attempt: Result<WorkspaceLock, LockBusy>;
    try {
      mkdirSync(dirname(file), { recursive: true });
      attempt = tryAcquire(file, opts.command);
    } catch (e) {
      return err({ reason: 'unwritable', file, message: (e as Error).message });
    }
    if (attempt.ok) return attempt;
    if (Date.now() >= deadline || opts.signal?.aborted) return attempt;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
}

function tryAcquire(file: string, command: string): Result<WorkspaceLock, LockBusy> {
  const cmdline = cmdlineOf('self');
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command,
    since: new Date().toISOString(),
    ...(cmdline === undefined ? {} : { cmdline }),
  };
  let dead: LockHolder | undefined;
  // The lock appears whole: written under a name of this process's, then linked into place (link fails
  // when the lock exists). Created empty and then written, another run looking in between took the empty
  // file for one a crash left, took it over, and both ran.
  const draft = `${file}.${process.pid}`;
  writeDraft(draft, JSON.stringify(me), file);
  try {
    for (let tries = 0; tries < 3; tries++) {
      if (!place(draft, file)) {
        const text = readText(file);
        if (text === undefined) continue;
        const holder = parseHolder(text);
        if (holder && isAlive(holder, file)) return err({ reason: 'locked', file, holder });
        // Dead holder (or a file a power loss left empty): take over, but only if nobody replaced it in
        // the meantime.
        if (readText(file) === text) {
          dead = holder ?? dead;
          try {
            unlinkSync(file);
          } catch {
            // Someone else removed it first; try again.
          }
        }
        continue;
      }
      let released = false;
      held.add(file);
      return ok({
        file,
        tookOverFrom: dead,
        release: () => {
          if (released) return;
          released = true;
          held.delete(file);
          const holder = parseHolder(readText(file) ?? '');
          if (holder?.pid === process.pid) unlinkSync(file);
        },
      });
    }
  } finally {
    rmSync(draft, { force: true });
  }
  const holder = parseHolder(readText(file) ?? '') ?? { pid: 0, host: hostname(), command: '?', since: '' };
  return err({ reason: 'locked', file, holder });
}

/**
 * Links the draft in as the lock; false when a lock exists. Where the file system has no hard links, the
 * lock is created and written in place instead (the old way, with its brief empty file).
 */
function place(draft: string, file: string): boolean {
  try {
    linkSync(draft, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, readFileSync(draft));
  } catch (e) {
    closeSync(fd);
    unlinkSync(file);
    (e as Error).message += ` '${file}'`;
    throw e;
  }
  closeSync(fd);
  return true;
}

/** Writes the lock's text under its own name; a full disk leaves no file and names the lock. */
function writeDraft(draft: string, text: string, file: string): void {
  const fd = openSync(draft, 'w');
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    rmSync(draft, { force: true });
    (e as Error).message += ` '${file}'`;
    throw e;
  }
  closeSync(fd);
}

/** The holder of the lock at `file` when its process is alive (or on another host); undefined otherwise. */
export function liveHolder(file: string): LockHolder | undefined {
  const holder = parseHolder(readText(file) ?? '');
  return holder !== undefined && isAlive(holder, file) ? holder : undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? {
          pid: v.pid,
          host: v.host,
          command: String(v.command ?? ''),
          since: String(v.since ?? ''),
          ...(typeof v.cmdline === 'string' ? { cmdline: v.cmdline } : {}),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The lock files this process holds now. */
const held = new Set<string>();

function isAlive(holder: LockHolder, file: string): boolean {
  // A lock taken on another host (a shared file system) cannot be checked from here: assume it is alive.
  if (holder.host !== hostname()) return true;
  // This pid on this host is this process: the holder is this process if it took the lock, and otherwise a
  // process that had the same pid before, now dead (moe restarted in a container gets the pid and host
  // name it had).
  if (holder.pid === process.pid) return held.has(file);
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process lives under that pid; after a reboot (a power loss) it may be another program: the holder
  // only if it runs the command line the holder wrote (where both are known).
  const now = holder.cmdline === undefined ? undefined : cmdlineOf(String(holder.pid));
  return now === undefined || now === holder.cmdline;
}

/** A process's command line as /proc has it (NUL-separated); undefined where there is no /proc. */
function cmdlineOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return undefined;
  }
}
