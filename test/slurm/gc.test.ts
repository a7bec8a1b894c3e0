// `moe gc` never deletes what a live run is using: the staging, scratch and checkpoint folders of a Slurm
// job recorded as active that is still in the queue (or whose state Slurm cannot tell, or that finished
// with outputs a rerun will take), and nothing at all while a local `moe run` holds the workspace lock.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectGarbage } from '../../src/engine/gc.js';
import type { JobLiveness } from '../../src/engine/executors/slurm/slurm-cli.js';
import { workspaceAt } from '../../src/engine/workspace.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A workspace where job 42 ran node `slow` (fingerprint ab…) and an old attempt left folders behind. */
function workspace(outcome?: { ok: boolean }) {
  const ws = workspaceAt(mkdtempSync(join(tmpdir(), 'moe-gc-')));
  const fp = 'ab'.repeat(32);
  const outDir = join(ws.staging, `${fp.slice(0, 16)}-1`);
  const tmpDir = join(ws.tmp, `${fp.slice(0, 16)}-1`);
  const checkpointDir = join(ws.checkpoints, fp);
  const stale = [join(ws.staging, 'old-attempt'), join(ws.tmp, 'old-attempt')];
  for (const d of [outDir, tmpDir, checkpointDir, ...stale]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outDir, 'partial.txt'), 'written by the job');
  writeFileSync(join(checkpointDir, 'step-3'), 'checkpoint');
  const jobDir = join(ws.root, 'slurm', 'jobs', `${fp.slice(0, 16)}-1`);
  mkdirSync(jobDir, { recursive: true });
  writeFileSync(join(jobDir, 'spec.json'), JSON.stringify({ format: 1, outDir, tmpDir, checkpointDir }));
  if (outcome) writeFileSync(join(jobDir, 'outcome.json'), JSON.stringify(outcome));
  mkdirSync(join(ws.root, 'slurm', 'active'), { recursive: true });
  writeFileSync(
    join(ws.root, 'slurm', 'active', `${fp}.json`),
    JSON.stringify({ jobId: '42', dir: jobDir, outDir, node: 'slow' }),
  );
  return { ws, outDir, tmpDir, checkpointDir, stale };
}

const answering =
  (state: JobLiveness) =>
  async (id: string): Promise<JobLiveness> => {
    assert.equal(id, '42');
    return state;
  };

for (const state of ['alive', 'unknown'] as const) {
  test(`gc keeps the folders of a Slurm job that is ${state === 'alive' ? 'still queued or running' : 'of unknown state'}`, async () => {
    const w = workspace();
    const r = await collectGarbage(w.ws, { slurmJobState: answering(state) });
    assert.ok(r.ok);
    for (const d of [w.outDir, w.tmpDir, w.checkpointDir]) assert.ok(existsSync(d), `${d} was deleted`);
    assert.ok(existsSync(join(w.outDir, 'partial.txt')));
    for (const d of w.stale) assert.ok(!existsSync(d), `${d} should be removed`);
    assert.deepEqual(
      r.value.inUseByJobs.map((j) => [j.jobId, j.node, j.state]),
      [['42', 'slow', state]],
    );
  });
}

test('gc removes the staging of a job that left the queue without a result', async () => {
  const w = workspace({ ok: false });
  const r = await collectGarbage(w.ws, { slurmJobState: answering('gone') });
  assert.ok(r.ok);
  assert.ok(!existsSync(w.outDir) && !existsSync(w.tmpDir));
  assert.ok(
    existsSync(w.checkpointDir),
    'an uncommitted node keeps its checkpoint (a rerun resumes from it)',
  );
  assert.deepEqual(r.value.inUseByJobs, []);
});

test('gc keeps the outputs of a job that finished while moe was away (a rerun takes them)', async () => {
  const w = workspace({ ok: true });
  const r = await collectGarbage(w.ws, { slurmJobState: answering('gone') });
  assert.ok(r.ok);
  assert.ok(existsSync(join(w.outDir, 'partial.txt')));
  assert.equal(r.value.inUseByJobs[0]?.state, 'finished');
});

test('moe gc while a local moe run holds the workspace: stops naming it, deletes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-gc-live-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(
    file,
    `version: 1
name: live
nodes:
  slow:
    step: command
    with:
      run: echo started > "$MOE_OUT/started.txt"; sleep 4; echo done > "$MOE_OUT/done.txt"
      outputs: { done: done.txt }
`,
  );
  const run = spawn(process.execPath, [join(ROOT, 'bin', 'moe.js'), 'run', file], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => run.on('close', r));
  const staging = join(dir, '.moe', 'staging');
  const deadline = Date.now() + 30_000;
  const started = (): boolean =>
    existsSync(staging) && readdirSync(staging).some((n) => existsSync(join(staging, n, 'started.txt')));
  while (!started()) {
    assert.ok(Date.now() < deadline, 'the run never started its node');
    await new Promise((r) => setTimeout(r, 50));
  }
  const gc = spawnSync(process.execPath, [join(ROOT, 'bin', 'moe.js'), 'gc', file], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.notEqual(gc.status, 0, gc.stdout + gc.stderr);
  assert.match(gc.stdout + gc.stderr, new RegExp(`in use by moe run \\(pid ${run.pid}\\)`));
  assert.ok(started(), 'the running node keeps its staging folder');
  assert.equal(await exited, 0, 'the run finishes undisturbed');
});

test('gc removes the folders of Slurm jobs that nothing follows any more, and keeps those of jobs in use', async () => {
  // Every job got .moe/slurm/jobs/<id>/ (its spec with moe's environment, script, events, output) and
  // nothing ever removed one: a workspace kept a folder per job ever submitted.
  const w = workspace();
  const jobs = join(w.ws.root, 'slurm', 'jobs');
  const done = join(jobs, 'cd'.repeat(8) + '-1');
  mkdirSync(done);
  writeFileSync(join(done, 'spec.json'), '{}');
  writeFileSync(join(done, 'outcome.json'), JSON.stringify({ ok: true }));
  const dry = await collectGarbage(w.ws, { slurmJobState: answering('alive'), dryRun: true });
  assert.ok(dry.ok);
  assert.ok(existsSync(done), 'a dry run removes nothing');
  const r = await collectGarbage(w.ws, { slurmJobState: answering('alive') });
  assert.ok(r.ok);
  assert.ok(!existsSync(done), 'the folder of a job nothing follows was kept');
  assert.deepEqual(readdirSync(jobs), ['ab'.repeat(8) + '-1'], 'the running job keeps its folder');
  const gone = await collectGarbage(w.ws, { slurmJobState: answering('gone') });
  assert.ok(gone.ok);
  assert.deepEqual(readdirSync(jobs), [], 'a job that left the queue without a result keeps nothing');
});
