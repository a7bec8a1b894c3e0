// Starts the local single-node Slurm cluster (scripts/slurm-cluster.sh) when it is not up; the cluster tests
// share it, through clusterTest, and run moe through the Slurm executor with DRIVER.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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

/** test/slurm/driver.ts: runs a pipeline through the Slurm executor in a process the test can kill. */
export const DRIVER = join(import.meta.dirname, 'driver.ts');

/**
 * A test that needs the cluster: it starts the cluster when it is down; when Slurm cannot start the test
 * skips outside CI and fails in CI.
 */
export function clusterTest(
  name: string,
  timeout: number,
  fn: (t: TestContext) => void | Promise<void>,
): void {
  const why = slurmUp();
  const inCi = process.env.CI === 'true';
  const skip = why !== undefined && !inCi ? `${why} (this test needs Slurm; it is required in CI)` : false;
  test(name, { skip, timeout }, async (t) => {
    if (why !== undefined) assert.fail(why);
    await fn(t);
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
