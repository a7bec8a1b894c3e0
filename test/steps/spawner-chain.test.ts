// Jobs queued one behind another on a worker (a relay through a chain of nodes) must not keep each
// other alive: a run of 10,000 nodes would otherwise hold every job it ran until its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ShellSpawner } from '../../src/steps/command/spawner.js';
import type { RunningJob } from '../../src/steps/command/spawner.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('a job queued behind another does not keep that job, nor the ones before it, once it has started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-spawner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The spawner's workers do not keep a process alive (they are unref'd): this test waits on them.
  const alive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(alive));
  const spawner = new ShellSpawner();
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const job = (i: number): { argv: string[]; cwd: string; env: Record<string, string>; logFile: string } => ({
    argv: ['/bin/sh', '-c', 'sleep 0.1'],
    cwd: dir,
    env,
    logFile: join(dir, `${i}.log`),
  });
  // Each job is queued behind the one before while that one runs, as the scheduler's relays do.
  let last: RunningJob = spawner.run(job(0));
  const firstRef = new WeakRef(last);
  for (let i = 1; i <= 4; i++) {
    const before = last;
    let started: (j: RunningJob) => void = () => undefined;
    const start = new Promise<RunningJob>((r) => (started = r));
    last = spawner.run(job(i), { after: before, onStart: (j) => started(j) });
    assert.equal(last.started, false, `job ${i} waits for the one before it`);
    await before.exit;
    await start;
  }
  await last.exit;
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(firstRef.deref(), undefined, 'the first job is not reachable from the last');
  assert.equal(await last.exit, 0);
});
