// On the real single-node cluster (scripts/slurm-cluster.sh): a job submitted with `--begin=now+3` waits in
// Slurm's queue with reason BeginTime, and `moe run --json` says so before the node is done. Outside CI it
// skips when Slurm cannot start; in CI it fails.
import assert from 'node:assert/strict';
import { commandNode, moe, runJsonLines, tempDir, writePipeline } from '../cli/helpers.js';
import { SMALL_JOB, clusterExecutor, clusterTest } from './cluster-up.js';

clusterTest('a job that waits for its begin time is reported queued with reason BeginTime', 120_000, () => {
  const { dir, cleanup } = tempDir();
  try {
    writePipeline(
      dir,
      `version: 1
name: begin
${clusterExecutor({ sbatchFlags: ['--begin=now+3'] })}nodes:
${commandNode('later', 'echo hi > "$MOE_OUT/hi.txt"', { hi: 'hi.txt' }, SMALL_JOB)}`,
    );
    const r = moe(['run', 'p.yaml', '--json'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const { events } = runJsonLines(r.stdout);
    const queued = events.filter((e) => e.type === 'node-queued') as unknown as {
      node: string;
      reason: string;
    }[];
    assert.equal(queued[0]?.node, 'later');
    assert.equal(queued[0]?.reason, 'BeginTime');
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf('node-queued') < types.indexOf('node-done'));
  } finally {
    cleanup();
  }
});
