// A run's heap bound: the garbage its committed nodes promote is collected every 4 MB, so a long run's
// old generation stays near a short one's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { boundRunHeap } from '../../src/util/heap-bound.js';
import { scavenge } from '../../src/util/scavenge.js';

const oldUsed = (): number =>
  getHeapSpaceStatistics()
    .filter((s) => s.space_name === 'old_space')
    .reduce((sum, s) => sum + s.space_used_size, 0);

/** About 6 MB of objects kept through two scavenges (so promoted to the old generation), then dropped. */
function promoteGarbage(): void {
  const kept: object[] = [];
  for (let i = 0; i < 100_000; i++) kept.push({ i, s: `node ${i}` });
  scavenge();
  scavenge();
  assert.equal(kept.length, 100_000);
}

test("a run's committed nodes collect 6 MB of promoted garbage at the next check", () => {
  for (let i = 0; i < 64; i++) boundRunHeap(); // the first check sets the mark
  promoteGarbage();
  const before = oldUsed();
  for (let i = 0; i < 64; i++) boundRunHeap();
  const after = oldUsed();
  assert.ok(before - after > 4 * 1024 * 1024, `old generation ${before} -> ${after} bytes`);
});
