// A job stopped from outside moe (a Slurm job cancelled with scancel, its time limit, preemption: the
// compute node's step sees SIGTERM and reports 'aborted') while the run itself goes on is a failure of that
// node: counted, listed with its log file, retried under `retry:`. It was counted as interrupted, so the
// run ended "failed: 0 ran, 0 cached, 0 failed, 0 skipped" naming nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import type { Executor } from '../../src/engine/executors/executor.js';

/** Reports the first `cancels` attempts of every node cancelled from outside; then writes out.txt. */
function cancelling(cancels: number): Executor & { attempts: number } {
  return {
    name: 'cancelling',
    attempts: 0,
    async execute(job) {
      this.attempts += 1;
      if (job.attempt <= cancels) return { ok: false, kind: 'aborted', error: 'cancelled (SIGTERM)' };
      writeFileSync(join(job.outDir, 'out.txt'), 'ok\n');
      return { ok: true, summary: undefined };
    },
  };
}

test('a job cancelled from outside a running moe fails its node, counted and listed', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, { a: { with: { name: 'a' } } });
  const summary = await rig.run(p, { executor: cancelling(1) });
  assert.equal(summary.status, 'failed');
  assert.equal(summary.counts.failed, 1);
  assert.deepEqual(
    summary.failures.map((f) => f.node),
    ['a'],
  );
  assert.match(summary.failures[0]!.error, /cancelled \(SIGTERM\).*outside moe/);
  const failed = rig.events.find((e) => e.type === 'node-failed');
  assert.ok(failed?.type === 'node-failed' && failed.kind === 'error');
});

test('a job cancelled from outside is retried under retry: (preemption)', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, { a: { with: { name: 'a' }, retry: { limit: 1, backoffMs: 1 } } });
  const executor = cancelling(1);
  const summary = await rig.run(p, { executor });
  assert.equal(summary.status, 'succeeded');
  assert.equal(executor.attempts, 2);
});
