// kill -9 of moe must not leave its commands running: the rerun would start the same node again beside
// them, both writing into one checkpoint folder. Real moe processes, a real `sh` job; the processes are
// found by a marker in their environment, so only this test's count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { journalEvents, moe, moeAsync, outputDigests, tempDir, waitFor, writePipeline } from './helpers.js';
import { markedAfter, markedProcesses, newMark } from './processes.js';

// Each tick appends "<pid> <i>" to a file in the checkpoint folder; a background sleep stands for what a
// job starts and forgets.
const PIPELINE = `version: 1
name: ticks
nodes:
  tick:
    step: command
    with:
      run: |
        sleep 60 &
        i=0
        while [ $i -lt 30 ]; do echo "$$ $i" >> "$MOE_CHECKPOINT_DIR/ticks"; i=$((i+1)); sleep 0.1; done
        cp "$MOE_CHECKPOINT_DIR/ticks" "$MOE_OUT/ticks"
      outputs: { ticks: ticks }
`;

function tickFile(ws: string): string | undefined {
  const dir = join(ws, 'checkpoints');
  if (!existsSync(dir)) return undefined;
  for (const fp of readdirSync(dir)) if (existsSync(join(dir, fp, 'ticks'))) return join(dir, fp, 'ticks');
  return undefined;
}

test('kill -9 of moe stops its running command and what it started; the rerun never runs beside it', async (t) => {
  const { dir, cleanup } = tempDir();
  const mark = newMark();
  const env = { ...mark, MOE_KILL_GRACE_MS: '1000' };
  t.after(async () => {
    await markedAfter(mark, 3000);
    cleanup();
  });
  writePipeline(dir, PIPELINE);
  const ws = join(dir, '.moe');
  const run = moeAsync(['run', 'p.yaml'], dir, env);
  await waitFor(() => (readFileSync(tickFile(ws) ?? '/dev/null', 'utf8').match(/\n/g) ?? []).length >= 3);
  assert.ok(
    markedProcesses(mark).some((p) => / sleep 60$/.test(p)),
    'the job is running',
  );
  run.child.kill('SIGKILL');
  await run.result;

  // Nothing moe started outlives it for longer than the kill grace.
  assert.deepEqual(await markedAfter(mark, 2500), [], 'processes left running after kill -9 of moe');

  // And a rerun right after a kill -9 waits for what is left, so the node never runs twice at once.
  const again = moeAsync(['run', 'p.yaml'], dir, env);
  await waitFor(() => journalEvents(ws).filter((e) => e.type === 'node-start').length >= 2);
  again.child.kill('SIGKILL');
  await again.result;
  const last = moe(['run', 'p.yaml'], dir, env);
  assert.equal(last.code, 0, last.stderr);
  const pids = readFileSync(join(ws, 'store', outputDigests(ws)['tick']!, 'ticks'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[0]);
  const runs = pids.filter((p, i) => i === 0 || pids[i - 1] !== p);
  assert.equal(new Set(runs).size, runs.length, `two jobs wrote at once: ${runs.join(' ')}`);
  assert.deepEqual(await markedAfter(mark, 2500), [], 'processes left running after the last run');
});
