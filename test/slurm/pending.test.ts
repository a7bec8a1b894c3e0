// A job that waits in Slurm's queue: `moe run --json` reports `node-queued` with Slurm's reason, once per
// change of reason, and the plain display prints it. Slurm's tools are stand-ins on PATH: squeue reports
// the job PENDING (Resources, then Priority), then RUNNING, and only then starts the job's script.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandNode, moe, runJsonLines, tempDir, writePipeline } from '../cli/helpers.js';

/** `jobEnv`: assignments the job's script runs with, as Slurm's environment for it (`CUDA_VISIBLE_DEVICES=…`). */
function standIns(dir: string, jobEnv = ''): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const tool = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // sbatch: remembers the script and its --output file, answers a job id.
  tool(
    'sbatch',
    `out=/dev/null
for a in "$@"; do case "$a" in --output=*) out="\${a#--output=}";; esac; script="$a"; done
printf '%s\\n%s\\n' "$script" "$out" > ${dir}/job
echo 4242`,
  );
  // squeue: PENDING twice for Resources, twice for Priority, then RUNNING (starting the script once).
  tool(
    'squeue',
    `n=$(cat ${dir}/polls 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/polls
if [ -f ${dir}/cancelled ]; then exit 0; fi
if [ $n -le 2 ]; then echo 'PENDING|Resources'; exit 0; fi
if [ $n -le 4 ]; then echo 'PENDING|Priority'; exit 0; fi
if [ $n -eq 5 ]; then script=$(sed -n 1p ${dir}/job); out=$(sed -n 2p ${dir}/job); ${jobEnv} sh "$script" > "$out" 2>&1 & echo $! > ${dir}/pid; fi
echo 'RUNNING|None'`,
  );
  tool('scontrol', 'exit 1');
  // scancel: stops the job's script (moe exec-node stops its step on SIGTERM) and takes it off the queue.
  tool('scancel', `kill -TERM $(cat ${dir}/pid) 2>/dev/null; touch ${dir}/cancelled`);
  return bin;
}

test('a job pending in Slurm shows its reason in --json and in the plain display', () => {
  const { dir, cleanup } = tempDir();
  try {
    const bin = standIns(dir);
    writePipeline(
      dir,
      `version: 1
name: pending
executor:
  kind: slurm
  poll: 0.05
nodes:
${commandNode('hello', 'echo hi > "$MOE_OUT/hi.txt"', { hi: 'hi.txt' })}`,
    );
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
    const json = moe(['run', 'p.yaml', '--json'], dir, env);
    assert.equal(json.code, 0, json.stderr + json.stdout);
    const { events, summary } = runJsonLines(json.stdout);
    assert.equal(summary.status, 'succeeded');
    const queued = events.filter((e) => e.type === 'node-queued');
    assert.deepEqual(
      queued.map((e) => [e.node, (e as { jobId?: string }).jobId, (e as { reason?: string }).reason]),
      [
        ['hello', '4242', 'Resources'],
        ['hello', '4242', 'Priority'],
      ],
    );
    const types = events.filter((e) => e.node === 'hello').map((e) => e.type);
    assert.ok(types.indexOf('node-queued') > types.indexOf('node-start'));
    assert.ok(types.lastIndexOf('node-queued') < types.indexOf('node-done'));
    const left = events.find(
      (e) =>
        e.type === 'node-log' && /left the queue .*RUNNING/.test((e as { message?: string }).message ?? ''),
    );
    assert.ok(left, 'a log line says when the job left the queue');

    writeFileSync(join(dir, 'polls'), '0');
    const plain = moe(['run', 'p.yaml', '--force', 'hello'], dir, env);
    assert.equal(plain.code, 0, plain.stderr + plain.stdout);
    assert.match(plain.stdout, /\d\d:\d\d:\d\d queued hello: job 4242 waits \(Resources\)\n/);
    assert.match(plain.stdout, /queued hello: job 4242 waits \(Priority\)\n(.*\n)*.*done hello/);
  } finally {
    cleanup();
  }
});

test('a node’s timeout counts from when its Slurm job starts, not while it waits in the queue', () => {
  // Slurm's --time counts from the job's start; moe's own timer counted the queue too, so a node with
  // `timeout: 2h` that waited two hours in a busy queue failed as timed out without having run.
  const { dir, cleanup } = tempDir();
  try {
    const bin = standIns(dir);
    const node = (id: string, run: string): string => commandNode(id, run, { hi: 'hi.txt' }, 'timeout: 1s');
    writePipeline(
      dir,
      `version: 1
name: pending
executor:
  kind: slurm
  poll: 0.4
nodes:
${node('hello', 'echo hi > "$MOE_OUT/hi.txt"')}${node('stuck', 'sleep 30; echo hi > "$MOE_OUT/hi.txt"')}`,
    );
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
    // Four polls pending (1.6 s, past the 1 s timeout), then the job runs and ends at once.
    const queuedLong = moe(['run', 'p.yaml', '--only', 'hello', '--json'], dir, env);
    assert.equal(queuedLong.code, 0, queuedLong.stderr + queuedLong.stdout);
    assert.equal(runJsonLines(queuedLong.stdout).summary.status, 'succeeded');
    // A job that runs past its timeout is still stopped.
    writeFileSync(join(dir, 'polls'), '0');
    const started = Date.now();
    const slow = moe(['run', 'p.yaml', '--only', 'stuck', '--json'], dir, env);
    assert.equal(slow.code, 1, slow.stderr + slow.stdout);
    const failed = runJsonLines(slow.stdout).events.find((e) => e.type === 'node-failed') as
      { kind?: string; error?: string } | undefined;
    assert.equal(failed?.kind, 'timeout');
    assert.match(failed?.error ?? '', /timed out after 1s/);
    assert.ok(Date.now() - started < 25_000, 'the job was stopped at its timeout');
  } finally {
    cleanup();
  }
});

test('GPUs Slurm grants by UUID (CUDA_VISIBLE_DEVICES=MIG-…) reach the step as devices, not as none', () => {
  // exec-node read only numbers from Slurm's CUDA_VISIBLE_DEVICES: a UUID list gave a step no GPUs, so the
  // SimpleTuner backend launched one process where two devices were granted.
  const { dir, cleanup } = tempDir();
  try {
    const bin = standIns(dir, 'CUDA_VISIBLE_DEVICES=MIG-aaaa,MIG-bbbb');
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(
      join(dir, 'plugins', 'gpus.mjs'),
      `import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export const steps = [{ name: 'x.gpus', version: '1', withSchema: { type: 'object' }, outputs: () => ({ g: 'g.json' }),
  run: async (ctx) => {
    await writeFile(join(ctx.outDir, 'g.json'), JSON.stringify({ gpus: ctx.gpus, env: ctx.env.CUDA_VISIBLE_DEVICES }));
    return {};
  } }];
`,
    );
    writePipeline(
      dir,
      `version: 1
name: uuids
executor:
  kind: slurm
  poll: 0.05
nodes:
  a:
    step: x.gpus
    with: {}
    resources: { gpu: 2 }
`,
    );
    const r = moe(['run', 'p.yaml', '--json'], dir, { PATH: `${bin}:${process.env.PATH ?? ''}` });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const store = join(dir, '.moe', 'store');
    const [entry] = readdirSync(store).filter((d) => existsSync(join(store, d, 'g.json')));
    assert.ok(entry, 'the node wrote its output');
    assert.deepEqual(JSON.parse(readFileSync(join(store, entry, 'g.json'), 'utf8')), {
      gpus: [0, 1],
      env: 'MIG-aaaa,MIG-bbbb',
    });
  } finally {
    cleanup();
  }
});
