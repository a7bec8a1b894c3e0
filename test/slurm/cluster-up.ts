// Starts the local single-node Slurm cluster (scripts/slurm-cluster.sh) when it is not up; the cluster tests
// share it. Returns why it could not start, or undefined when it is up.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');

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
