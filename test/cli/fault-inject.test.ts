// Three trials of scripts/fault-inject.ts (kill -9 of moe at random moments of a small real pipeline,
// then a rerun; the script runs 20): every rerun succeeds with outputs identical to an uninterrupted
// run, and no process a killed or finished moe started outlives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultInject } from '../../scripts/fault-inject.js';

test('kill -9 at random moments of a small pipeline: reruns match an uninterrupted run, no process outlives moe', async () => {
  const seed = Date.now() % 100000;
  const lines: string[] = [];
  const results = await faultInject({ trials: 3, seed, log: (l) => lines.push(l) });
  const failed = results.filter((r) => r.problems.length > 0);
  assert.deepEqual(failed, [], `seed ${seed}:\n${lines.join('\n')}`);
});
