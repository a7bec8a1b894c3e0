// The memory part of `npm run bench:engine`: a cold `moe run` watched from outside, its resident set read
// from /proc/PID/status every 20 ms (nothing is loaded into moe's process, so nothing in it changes). The
// run's phases are told apart by what it leaves on disk: the first staging folder is made when the first
// node's job starts (the pipeline is loaded and planned by then), each committed node appends one line
// to the run's record segment, and the pipeline index is written when the last node is done.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RssTrace {
  /** Resident set when the first node's job started (MB): the loaded pipeline, nothing run yet. */
  readonly loaded: number;
  /** Highest resident set sampled while nodes ran (first staging folder to the index's write), MB. */
  readonly running: number;
  /** Highest resident set sampled while the first half of the nodes ran, and while the second half did. */
  readonly firstHalf: number;
  readonly secondHalf: number;
  /** Nodes the run ran. */
  readonly nodes: number;
  readonly samples: number;
}

const VM_RSS = /^VmRSS:\s+(\d+) kB/m;

/** VmRSS of `pid` in MB; undefined once it is gone. */
function readRss(pid: number): number | undefined {
  try {
    const m = VM_RSS.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const entries = (dir: string): number => list(dir).length;

/** Runs `node moe run pipeline --jobs N` in `cwd` (a fresh workspace) and traces its resident set. */
export async function traceRun(
  args: readonly string[],
  cwd: string,
  total: number,
  env: NodeJS.ProcessEnv,
): Promise<RssTrace> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const pid = child.pid ?? 0;
  const ws = join(cwd, '.moe');
  let loaded = NaN;
  let lastLoad = NaN;
  let segment: string | undefined;
  /** While nodes run: the record segment's size (one line per committed node) and the resident set. */
  const running: { bytes: number; rss: number }[] = [];
  let ended = false;
  let samples = 0;
  const sample = (): void => {
    const rss = readRss(pid);
    if (rss === undefined || ended) return;
    samples += 1;
    if (Number.isNaN(loaded)) {
      if (entries(join(ws, 'staging')) === 0) {
        lastLoad = rss;
        return;
      }
      // The sample before the first job's folder: the run's own allocations have barely begun.
      loaded = Number.isNaN(lastLoad) ? rss : lastLoad;
    }
    segment ??= list(join(ws, 'records')).find((n) => n.endsWith('.jsonl'));
    const bytes = segment === undefined ? 0 : statSync(join(ws, 'records', segment)).size;
    running.push({ bytes, rss });
    // The pipeline index is written once the last node is done.
    if (entries(join(ws, 'index')) > 0) ended = true;
  };
  const timer = setInterval(sample, 20);
  const status = await exited;
  clearInterval(timer);
  if (status !== 0) throw new Error(`moe ${args.join(' ')} failed (${status}): ${stderr}`);
  // Records are of about one size: the segment's share of its final size is the share of nodes done.
  const final = segment === undefined ? 0 : statSync(join(ws, 'records', segment)).size;
  const max = (xs: readonly { rss: number }[]): number => Math.max(...xs.map((x) => x.rss));
  return {
    loaded,
    running: max(running),
    firstHalf: max(running.filter((x) => x.bytes * 2 < final)),
    secondHalf: max(running.filter((x) => x.bytes * 2 >= final)),
    nodes: total,
    samples,
  };
}
