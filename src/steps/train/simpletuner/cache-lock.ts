// The shared SimpleTuner caches are filled once, by whichever expert gets there first; the other waits.
// SimpleTuner takes no lock on its caches (atomic writes, last writer wins) and rewrites the bucket
// metadata in the image folder at start-up, so two experts started together (two GPUs, or Slurm) would
// both encode every caption and latent. The first expert to create `<caches>/.filling/` (mkdir is atomic,
// also on the shared file systems Slurm jobs use) runs SimpleTuner; SimpleTuner fills its caches in
// init_data_backend, before its training loop prints the first progress line, so at that line the filler
// writes `<caches>/.filled` and removes the lock, and the waiting expert starts: the two then train side by
// side. A filler that dies leaves a lock whose heartbeat stops; after STALE_MS a waiter takes it over.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const LOCK = '.filling';
const FILLED = '.filled';
const OWNER = 'owner.json';
const HEARTBEAT_MS = 2_000;
const STALE_MS = 30_000;
const POLL_MS = 250;

export interface CacheFill {
  /** True when this expert fills the caches (it holds the lock until `filled()`). */
  readonly filler: boolean;
  /** The caches are complete: marks them so and releases the lock. Safe to call more than once. */
  filled(): void;
  /** Releases the lock without marking the caches filled (SimpleTuner failed before training). */
  release(): void;
}

export interface CacheLockOptions {
  readonly who: string;
  readonly signal: AbortSignal;
  readonly onWait?: (holder: string) => void;
  /** For tests. */
  readonly staleMs?: number;
}

const done: CacheFill = { filler: false, filled: () => undefined, release: () => undefined };

export function cachesFilled(dir: string): boolean {
  return existsSync(join(dir, FILLED));
}

/** Waits until the caches in `dir` are filled or this caller holds the lock to fill them. */
export async function acquireCacheFill(dir: string, opts: CacheLockOptions): Promise<CacheFill> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, LOCK);
  let told = false;
  for (;;) {
    if (cachesFilled(dir)) return done;
    if (opts.signal.aborted) throw new Error('aborted while waiting for the shared SimpleTuner caches');
    try {
      mkdirSync(lock);
      return hold(dir, lock, opts.who);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const age = heartbeatAge(lock);
    if ((age !== undefined && age > (opts.staleMs ?? STALE_MS)) || holderGone(lock)) {
      // The holder stopped beating: move its lock aside (one waiter wins the rename) and try again.
      const aside = `${lock}.stale-${randomUUID()}`;
      try {
        renameSync(lock, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // Another waiter took it over first.
      }
      continue;
    }
    if (!told) {
      opts.onWait?.(holderOf(lock));
      told = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function hold(dir: string, lock: string, who: string): CacheFill {
  const owner = join(lock, OWNER);
  writeFileSync(
    owner,
    `${JSON.stringify({ who, host: hostname(), pid: process.pid, at: new Date().toISOString() })}\n`,
  );
  const beat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(owner, now, now);
    } catch {
      // Lock taken over (we were thought dead): nothing left to keep alive.
    }
  }, HEARTBEAT_MS);
  beat.unref();
  let open = true;
  const release = (): void => {
    if (!open) return;
    open = false;
    clearInterval(beat);
    rmSync(lock, { recursive: true, force: true });
  };
  return {
    filler: true,
    filled: () => {
      if (!open) return;
      writeFileSync(join(dir, FILLED), `${JSON.stringify({ who, at: new Date().toISOString() })}\n`);
      release();
    },
    release,
  };
}

function heartbeatAge(lock: string): number | undefined {
  const owner = statSync(join(lock, OWNER), { throwIfNoEntry: false });
  const st = owner ?? statSync(lock, { throwIfNoEntry: false });
  return st ? Date.now() - st.mtimeMs : undefined;
}

/** The holder ran on this machine and its process is gone (a moe killed with -9): no need to wait. */
function holderGone(lock: string): boolean {
  try {
    const o = JSON.parse(readFileSync(join(lock, OWNER), 'utf8')) as { host?: unknown; pid?: unknown };
    if (o.host !== hostname() || typeof o.pid !== 'number' || o.pid === process.pid) return false;
    process.kill(o.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function holderOf(lock: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(lock, OWNER), 'utf8')) as { who?: unknown };
    return typeof parsed.who === 'string' ? parsed.who : 'another expert';
  } catch {
    return 'another expert';
  }
}
