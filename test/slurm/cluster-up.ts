// Starts the local single-node Slurm cluster (scripts/slurm-cluster.sh) when it is not up; the cluster tests
// share it, through clusterTest, and run moe through the Slurm executor with DRIVER.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { TestContext } from 'node:test';

const repo = join(import.meta.dirname, '..', '..');

/** Starts the cluster when it is down: why it could not start, or undefined when it is up. */
export function slurmUp(): string | undefined {
  const ok = (): boolean =>
    spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' }).stdout?.match(/idle|mixed|allocated/) !==
    null;
  if (spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0 && ok()) return undefined;
  const r = spawnSync('bash', [join(repo, 'scripts', 'slurm-cluster.sh'), 'start'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status === 0 && ok()) return undefined;
  return `Slurm could not start: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
}

/** What every node of the cluster tests asks for: one CPU and 64 MB (the cluster has two CPUs). */
export const SMALL_JOB = 'resources: { cpu: 1, memory: 64MB }';

/** test/slurm/driver.ts: runs a pipeline through the Slurm executor in a process the test can kill. */
export const DRIVER = join(import.meta.dirname, 'driver.ts');

/** The machine-wide lock that lets one cluster test at a time use the cluster's two CPUs. */
const LOCK = join(tmpdir(), 'moe-test-slurm-cluster.lock');
/** How long a cluster test may wait for another one to finish, on top of its own time limit. */
const LOCK_WAIT_MS = 600_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock (a directory holding its owner's pid), taking it over from a holder that died. */
async function lockCluster(): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      // the owner is between mkdir and writing its pid, or has just let go
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline) assert.fail(`another cluster test held ${LOCK} for ${LOCK_WAIT_MS / 1000} s`);
    await sleep(500);
  }
}

/**
 * A test that needs the cluster: it starts the cluster when it is down; when Slurm cannot start the test
 * skips outside CI and fails in CI. Cluster tests run one at a time (the test runner runs two files at
 * once, and two tests that time their jobs against each other on a 2-CPU cluster fail by chance).
 */
export function clusterTest(
  name: string,
  timeout: number,
  fn: (t: TestContext) => void | Promise<void>,
): void {
  const why = slurmUp();
  const inCi = process.env.CI === 'true';
  const skip = why !== undefined && !inCi ? `${why} (this test needs Slurm; it is required in CI)` : false;
  test(name, { skip, timeout: timeout + LOCK_WAIT_MS }, async (t) => {
    if (why !== undefined) assert.fail(why);
    const unlock = await lockCluster();
    try {
      await fn(t);
    } finally {
      unlock();
    }
  });
}

/**
 * The executor block (top-level YAML) of a cluster test's pipeline: the local cluster's partition and a short
 * poll; with `fromSource`, jobs run this checkout's exec-node through tsx, so no build is needed.
 */
export function clusterExecutor(o: { fromSource?: boolean; sbatchFlags?: readonly string[] } = {}): string {
  const command = ['node', '--import', 'tsx', join(repo, 'src/app/exec-node-main.ts')];
  return (
    'executor:\n  kind: slurm\n  partition: debug\n  poll: 0.3\n' +
    (o.fromSource === true ? `  command: ${JSON.stringify(command)}\n` : '') +
    (o.sbatchFlags ? `  sbatch_flags: ${JSON.stringify(o.sbatchFlags)}\n` : '')
  );
}
