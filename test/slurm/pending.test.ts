// A job that waits in Slurm's queue: `moe run --json` reports `node-queued` with Slurm's reason, once per
// change of reason, and the plain display prints it. Slurm's tools are stand-ins on PATH: squeue reports
// the job PENDING (Resources, then Priority), then RUNNING, and only then starts the job's script.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandNode, moe, runJsonLines, tempDir, writePipeline } from '../cli/helpers.js';

function standIns(dir: string): string {
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
if [ $n -le 2 ]; then echo 'PENDING|Resources'; exit 0; fi
if [ $n -le 4 ]; then echo 'PENDING|Priority'; exit 0; fi
if [ $n -eq 5 ]; then script=$(sed -n 1p ${dir}/job); out=$(sed -n 2p ${dir}/job); sh "$script" > "$out" 2>&1 & fi
echo 'RUNNING|None'`,
  );
  tool('scontrol', 'exit 1');
  tool('scancel', 'exit 0');
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
