// N granted GPUs → N SimpleTuner processes through `simpletuner train`'s own arguments; a Slurm allocation
// of several machines → srun starting it on each with its machine rank and the first host as main process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { launchArgs, multiNodeCommand, slurmLaunch } from '../../src/steps/train/simpletuner/launch.js';
import { acquireCacheFill, cachesFilled } from '../../src/steps/train/simpletuner/cache-lock.js';

test('one machine: num_processes is the GPU count, also inside accelerate_extra_args', () => {
  assert.deepEqual(launchArgs(slurmLaunch({}, 4)), [
    'num_processes=4',
    'num_machines=1',
    'accelerate_extra_args=--num_processes=4 --num_machines=1 --multi_gpu',
  ]);
  assert.deepEqual(slurmLaunch({ SLURM_JOB_NUM_NODES: '1' }, 0), { gpus: 1, nodes: 1 });
});

test('several Slurm nodes: every machine its rank, the first host the main process, srun once per node', () => {
  const env = { SLURM_JOB_NUM_NODES: '2', SLURM_JOB_ID: '1234' };
  const plan = slurmLaunch(env, 4);
  assert.equal(plan.gpus, 8);
  assert.equal(plan.nodes, 2);
  assert.equal(plan.mainPort, 29500 + 1234);
  const cmd = multiNodeCommand(['simpletuner', 'train'], plan);
  assert.deepEqual(cmd.slice(0, 6), [
    'srun',
    '--nodes=2',
    '--ntasks-per-node=1',
    '--kill-on-bad-exit=1',
    'bash',
    '-c',
  ]);
  // Run the script the way srun would on the second machine, with stand-ins for scontrol and simpletuner.
  const dir = mkdtempSync(join(tmpdir(), 'moe-multinode-'));
  writeFileSync(join(dir, 'scontrol'), '#!/bin/sh\necho gpu-node-07\necho gpu-node-08\n');
  writeFileSync(join(dir, 'simpletuner'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'argv')}\n`);
  chmodSync(join(dir, 'scontrol'), 0o755);
  chmodSync(join(dir, 'simpletuner'), 0o755);
  const r = spawnSync('bash', ['-c', cmd[6] ?? ''], {
    env: {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      SLURM_NODEID: '1',
      SLURM_JOB_NODELIST: 'gpu-node-[07-08]',
    },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n'), [
    'train',
    'num_processes=8',
    'num_machines=2',
    'accelerate_extra_args=--num_processes=8 --num_machines=2 --multi_gpu --machine_rank=1 --main_process_ip=gpu-node-07 --main_process_port=30734',
  ]);
});

test('cache fill: the first caller fills, a second waits until filled; a dead holder is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-cache-lock-'));
  const signal = new AbortController().signal;
  const first = await acquireCacheFill(dir, { who: 'base', signal });
  assert.equal(first.filler, true);
  let waited: string | undefined;
  const second = acquireCacheFill(dir, { who: 'refiner', signal, onWait: (h) => (waited = h) });
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(waited, 'base');
  first.filled();
  assert.equal((await second).filler, false, 'filled: nothing left to do');
  assert.ok(cachesFilled(dir));

  const other = mkdtempSync(join(tmpdir(), 'moe-cache-lock-'));
  const dead = await acquireCacheFill(other, { who: 'base', signal });
  assert.equal(dead.filler, true);
  // The holder's heartbeat stops (a killed job): after staleMs the waiter takes the lock and fills.
  const taken = await acquireCacheFill(other, { who: 'refiner', signal, staleMs: 0 });
  assert.equal(taken.filler, true);
  taken.release();
  dead.release();
  assert.equal(cachesFilled(other), false);

  // A holder on this machine whose process is gone (moe killed with -9) is taken over at once.
  const gone = mkdtempSync(join(tmpdir(), 'moe-cache-lock-'));
  mkdirSync(join(gone, '.filling'));
  writeFileSync(
    join(gone, '.filling', 'owner.json'),
    JSON.stringify({ who: 'base', host: hostname(), pid: 2 ** 22 + 12345 }),
  );
  const t0 = Date.now();
  const mine = await acquireCacheFill(gone, { who: 'refiner', signal });
  assert.equal(mine.filler, true);
  assert.ok(Date.now() - t0 < 5_000, 'no 30 s wait for a dead local holder');
  mine.filled();
  assert.ok(cachesFilled(gone));
});
