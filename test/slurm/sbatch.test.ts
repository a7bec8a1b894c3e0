import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sbatchArgs, slurmSettings } from '../../src/engine/executors/slurm/sbatch.js';
import { submit } from '../../src/engine/executors/slurm/slurm-cli.js';
import { SlurmExecutor } from '../../src/engine/executors/slurm/executor.js';
import { Rig, pipelineOf } from '../engine/rig.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('node resources and executor settings become sbatch flags', () => {
  const settings = slurmSettings({
    partition: 'gpu',
    account: 'lab',
    qos: 'high',
    sbatch_flags: ['--exclusive'],
  });
  assert.ok(settings.ok);
  const args = sbatchArgs(
    {
      jobName: 'moe-train',
      resources: { cpu: 3.5, gpu: 2, memoryBytes: 8 * 1024 ** 3 },
      timeoutMs: 90 * 60_000,
      outputFile: '/ws/slurm/j/slurm.out',
      script: '/ws/slurm/j/job.sh',
    },
    settings.value,
  );
  assert.deepEqual(args, [
    '--parsable',
    '--job-name=moe-train',
    '--output=/ws/slurm/j/slurm.out',
    '--partition=gpu',
    '--account=lab',
    '--qos=high',
    '--gres=gpu:2',
    '--cpus-per-task=4',
    '--mem=8192M',
    '--time=91',
    '--exclusive',
    '/ws/slurm/j/job.sh',
  ]);
  const cpuOnly = sbatchArgs(
    {
      jobName: 'x',
      resources: { cpu: 1, gpu: 0, memoryBytes: undefined },
      timeoutMs: undefined,
      outputFile: 'o',
      script: 's',
    },
    { sbatchFlags: [], pollMs: 1000 },
  );
  assert.ok(!cpuOnly.some((a) => a.startsWith('--gres') || a.startsWith('--mem') || a.startsWith('--time')));
  const bad = slurmSettings({ partiton: 'gpu' });
  assert.ok(!bad.ok && /unknown setting partiton/.test(bad.error));
});

test('an expert with N GPUs gets --gres=gpu:N; more than one machine has spreads over whole machines', () => {
  const settings = slurmSettings({ gpus_per_node: 4 });
  assert.ok(settings.ok);
  const args = (gpu: number) =>
    sbatchArgs(
      {
        jobName: 'moe-base',
        resources: { cpu: 1, gpu, memoryBytes: undefined },
        timeoutMs: undefined,
        outputFile: 'o',
        script: 's',
      },
      settings.value,
    ).filter((a) => /^--(gres|nodes|ntasks)/.test(a));
  assert.deepEqual(args(4), ['--gres=gpu:4']);
  assert.deepEqual(args(8), ['--nodes=2', '--ntasks-per-node=1', '--gres=gpu:4']);
  assert.deepEqual(args(2), ['--gres=gpu:2']);
  const bad = slurmSettings({ gpus_per_node: 0 });
  assert.ok(!bad.ok && /gpus_per_node/.test(bad.error));
});

test('sbatch missing from PATH is named as such, not as spawn ENOENT', async (t) => {
  const path = process.env['PATH'];
  const empty = mkdtempSync(join(tmpdir(), 'moe-nobin-'));
  t.after(() => {
    process.env['PATH'] = path;
    rmSync(empty, { recursive: true, force: true });
  });
  process.env['PATH'] = empty;
  const r = await submit(['--parsable', 'job.sh']);
  assert.deepEqual(r, {
    ok: false,
    error:
      "sbatch failed: sbatch is not on PATH: the Slurm executor runs Slurm's commands (sbatch, squeue, scontrol, scancel) on the machine where moe runs",
    permanent: true,
  });
});

test('a node under the Slurm executor without sbatch fails at once, not after its retries', async (t) => {
  const path = process.env['PATH'];
  const empty = mkdtempSync(join(tmpdir(), 'moe-nobin-'));
  const rig = new Rig();
  t.after(() => {
    process.env['PATH'] = path;
    rmSync(empty, { recursive: true, force: true });
    rig.cleanup();
  });
  process.env['PATH'] = empty;
  const executor = new SlurmExecutor({
    settings: { sbatchFlags: [], pollMs: 1000 },
    stateDir: join(rig.dir, 'slurm'),
    pipelineFile: join(rig.dir, 'test.yaml'),
    timeoutOf: () => undefined,
    command: ['moe', 'exec-node'],
  });
  const pipeline = pipelineOf(rig.dir, {
    a: { with: { content: 'a' }, retry: { limit: 3, backoffMs: 600_000 } },
  });
  const summary = await rig.run(pipeline, { executor });
  assert.equal(summary.status, 'failed');
  const failed = rig.events.filter((e) => e.type === 'node-failed');
  assert.equal(failed.length, 1);
  assert.ok(failed[0]?.type === 'node-failed' && failed[0].kind === 'permanent');
  assert.match(summary.failures[0]?.error ?? '', /^not retried: sbatch failed: sbatch is not on PATH/);
  assert.equal(rig.events.filter((e) => e.type === 'node-retry').length, 0);
});
