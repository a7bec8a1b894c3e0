// `moe status` of a run whose journal has no end: while moe runs it, "running" with moe's pid; after a
// kill -9, "killed" (its process is gone) and what resumes it, not "running (or killed …)".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { journalEvents, moe, moeAsync, tempDir, waitFor, writePipeline } from './helpers.js';
import { markedAfter, newMark } from './processes.js';

const PIPELINE = `version: 1
name: slow
nodes:
  wait:
    step: command
    with:
      run: sleep 30; echo > "$MOE_OUT/w.txt"
      outputs: { w: w.txt }
`;

test('moe status tells a run still going (its pid) from one killed with kill -9', async (t) => {
  const { dir, cleanup } = tempDir();
  const mark = newMark();
  const env = { ...mark, MOE_KILL_GRACE_MS: '500' };
  t.after(async () => {
    await markedAfter(mark, 3000);
    cleanup();
  });
  writePipeline(dir, PIPELINE);
  const ws = join(dir, '.moe');
  const run = moeAsync(['run', 'p.yaml'], dir, env);
  await waitFor(() => journalEvents(ws).some((e) => e.type === 'node-start'));

  const going = moe(['status', 'p.yaml'], dir);
  assert.equal(going.code, 0, going.stderr);
  assert.match(going.stdout, new RegExp(`^slow run \\S+: running \\(pid ${run.child.pid}\\)$`, 'm'));
  const json = JSON.parse(moe(['status', 'p.yaml', '--json'], dir).stdout) as {
    status: string;
    pid?: number;
  };
  assert.deepEqual([json.status, json.pid], ['running', run.child.pid]);

  run.child.kill('SIGKILL');
  await run.result;
  const killed = moe(['status', 'p.yaml'], dir);
  assert.equal(killed.code, 0, killed.stderr);
  assert.match(
    killed.stdout,
    /^slow run \S+: killed before it finished \(its process is gone\); `moe run` resumes it$/m,
    killed.stdout,
  );
  assert.doesNotMatch(killed.stdout, /running \(or killed/);
  // The node it was running is not running any more: its line says killed, as the run's does.
  assert.match(killed.stdout, /^killed\s+wait\b/m, killed.stdout);
  assert.doesNotMatch(killed.stdout, /^running/m, killed.stdout);
  const after = JSON.parse(moe(['status', 'p.yaml', '--json'], dir).stdout) as { status: string };
  assert.equal(after.status, 'killed');
});
