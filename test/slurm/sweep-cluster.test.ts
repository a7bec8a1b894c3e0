// On the real single-node cluster (scripts/slurm-cluster.sh): `moe run --sweep` with the Slurm executor
// submits the variants' jobs side by side, not one after the other: squeue holds all three at once and
// Slurm's own SubmitTime of each is before any of them ended. The shared node runs once, each variant's
// node once. Outside CI it skips when Slurm cannot start; in CI it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandNode, moeAsync, runJsonLines, tempDir, writePipeline } from '../cli/helpers.js';
import { SMALL_JOB, clusterExecutor, clusterTest } from './cluster-up.js';

function pipeline(dir: string): string {
  const nodes = [
    commandNode(
      'sweepshared',
      `echo "$SLURM_JOB_ID" >> ${dir}/shared-runs; echo hi > "$MOE_OUT/a.txt"`,
      { a: 'a.txt' },
      SMALL_JOB,
    ),
    commandNode(
      'sweepvariant',
      [
        `echo "\${{ params.n }} $SLURM_JOB_ID" >> ${dir}/variant-runs`,
        'sleep 6',
        'cat ${{ nodes.sweepshared.outputs.a }} > "$MOE_OUT/b.txt"',
      ],
      { b: 'b.txt' },
      SMALL_JOB,
    ),
  ];
  return `version: 1
name: slurm-sweep
params:
  n: 1
${clusterExecutor()}nodes:
${nodes.join('')}`;
}

/** The jobs of the variant node in Slurm's queue now (pending or running). */
function variantJobs(): string[] {
  const r = spawnSync('squeue', ['-h', '-o', '%i %j %T'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.includes(' moe-sweepvariant['))
    .map((l) => l.split(' ')[0] ?? '');
}

/** A finished job's times from `scontrol show job` (Slurm keeps it for MinJobAge, 300 s here). */
function jobTimes(id: string): { submit: number; start: number; end: number } {
  const text = spawnSync('scontrol', ['show', 'job', id], { encoding: 'utf8' }).stdout ?? '';
  const at = (key: string): number => {
    const m = new RegExp(`${key}=(\\S+)`).exec(text);
    return m?.[1] ? Date.parse(m[1]) : NaN;
  };
  return { submit: at('SubmitTime'), start: at('StartTime'), end: at('EndTime') };
}

clusterTest('a sweep through the Slurm executor submits its variants side by side', 180_000, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, pipeline(dir));

  const run = moeAsync(['run', 'p.yaml', '--sweep', 'n=1,2,3', '--json'], dir);
  let together = 0;
  let finished = false;
  void run.result.then(() => (finished = true));
  while (!finished) {
    together = Math.max(together, new Set(variantJobs()).size);
    await new Promise((r) => setTimeout(r, 200));
  }
  const r = await run.result;
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(together, 3, 'the three variants were in the queue at the same time');

  const { events } = runJsonLines(r.stdout);
  const done = events.filter((e) => e.type === 'node-done').map((e) => e.node ?? '');
  assert.deepEqual(done.filter((n) => n.startsWith('sweepvariant[')).sort(), [
    'sweepvariant[n=1]',
    'sweepvariant[n=2]',
    'sweepvariant[n=3]',
  ]);
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n');
  assert.equal(lines('shared-runs').length, 1, 'the shared node ran once');
  const runs = lines('variant-runs').map((l) => l.split(' '));
  assert.deepEqual(runs.map(([n]) => n).sort(), ['1', '2', '3'], "each variant's node ran once");

  // Slurm's own times: every variant job was submitted before any of them ended.
  const times = runs.map(([, id]) => jobTimes(id ?? ''));
  for (const x of times) assert.ok(Number.isFinite(x.submit + x.end), JSON.stringify(times));
  const lastSubmit = Math.max(...times.map((x) => x.submit));
  const firstEnd = Math.min(...times.map((x) => x.end));
  assert.ok(lastSubmit < firstEnd, `submitted one after another: ${JSON.stringify(times)}`);
  const running = times.filter((x) => x.start < firstEnd).length;
  t.diagnostic(`${running} of 3 variant jobs were running before the first ended (cluster: 2 CPUs)`);
});
