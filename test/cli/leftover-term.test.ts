// What a finished job left in the background and that ignores SIGTERM must not outlive moe: the worker's
// own exit once stopped its watchdog before the watchdog's SIGKILL (a race under kill -9, every time at a
// normal exit). Real moe processes; the job's processes are found by a marker in their environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moeAsync, tempDir, waitFor, writePipeline } from './helpers.js';
import { markedAfter, markedProcesses, newMark } from './processes.js';

// `bg` ends at once and leaves a sleep that ignores SIGTERM; `slow` keeps the run going meanwhile.
const PIPELINE = `version: 1
name: leftover
nodes:
  bg:
    step: command
    with:
      run: sh -c 'trap "" TERM; sleep 30' & echo ok > "$MOE_OUT/o"
      outputs: { o: o }
  slow:
    step: command
    with:
      run: sleep 1.2; echo ok > "$MOE_OUT/o"
      outputs: { o: o }
`;

const GRACE_MS = 300;

async function leftAfter(end: 'exit' | 'kill'): Promise<string[]> {
  const { dir, cleanup } = tempDir();
  const mark = newMark();
  try {
    writePipeline(dir, PIPELINE);
    const run = moeAsync(['run', 'p.yaml', '--jobs', '2'], dir, {
      ...mark,
      MOE_KILL_GRACE_MS: String(GRACE_MS),
    });
    if (end === 'kill') {
      // Once `bg` has left its sleep behind and its worker is idle, while `slow` still runs.
      await waitFor(() => markedProcesses(mark).some((p) => p.includes('sleep 30')), 5000);
      await new Promise((r) => setTimeout(r, 300));
      run.child.kill('SIGKILL');
    }
    const r = await run.result;
    if (end === 'exit') assert.equal(r.code, 0, r.stderr);
    return await markedAfter(mark, GRACE_MS + 1500);
  } finally {
    for (const p of markedProcesses(mark)) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    cleanup();
  }
}

test('a background process a finished job left that ignores SIGTERM ends with moe: normal exit', async () => {
  assert.deepEqual(await leftAfter('exit'), []);
});

test('a background process a finished job left that ignores SIGTERM ends with moe: kill -9 (3 trials)', async () => {
  for (let i = 0; i < 3; i++) assert.deepEqual(await leftAfter('kill'), [], `trial ${i + 1}`);
});
