import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  helloPipeline,
  journalEvents,
  moe,
  moeAsync,
  outputDigests,
  runJsonLines,
  tempDir,
  waitFor,
  writePipeline,
} from './helpers.js';

/** Three layers of four nodes; each sleeps a little, then concatenates its parents' outputs. */
function layered(sleep = 0.1): string {
  const lines = ['version: 1', 'name: resume', 'nodes:'];
  for (let layer = 0; layer < 3; layer++) {
    for (let i = 0; i < 4; i++) {
      const id = `n${layer}_${i}`;
      const parents =
        layer === 0 ? [] : [i, (i + 1) % 4].map((p) => `\${{ nodes.n${layer - 1}_${p}.outputs.out }}`);
      const body = layer === 0 ? `echo ${id}` : `cat ${parents.join(' ')}; echo ${id}`;
      lines.push(
        `  ${id}:`,
        '    step: command',
        '    with:',
        `      run: sleep ${sleep}; (${body}) > "$MOE_OUT/out.txt"`,
        '      outputs: { out: out.txt }',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A small deterministic generator, so a failure can be replayed. */
function delays(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 200 + (x % 900);
  });
}

test('kill -9 at random moments, then rerun: every node committed once, outputs as an uninterrupted run', async (t) => {
  const clean = tempDir();
  const killed = tempDir();
  t.after(() => {
    clean.cleanup();
    killed.cleanup();
  });
  writePipeline(clean.dir, layered());
  assert.equal(moe(['run', 'p.yaml', '--jobs', '2'], clean.dir).code, 0);
  const expected = outputDigests(join(clean.dir, '.moe'));

  writePipeline(killed.dir, layered());
  for (const delay of delays(7, 4)) {
    const run = moeAsync(['run', 'p.yaml', '--jobs', '2'], killed.dir);
    await new Promise((r) => setTimeout(r, delay));
    run.child.kill('SIGKILL');
    await run.result;
  }
  const final = moe(['run', 'p.yaml', '--jobs', '2', '--json'], killed.dir);
  assert.equal(final.code, 0, final.stderr);
  const { summary } = runJsonLines(final.stdout);
  assert.equal((summary.counts['ran'] ?? 0) + (summary.counts['cached'] ?? 0), 12);

  const done = new Map<string, number>();
  for (const e of journalEvents(join(killed.dir, '.moe'))) {
    if (e.type === 'node-done' && e.node) done.set(e.node, (done.get(e.node) ?? 0) + 1);
  }
  for (const [node, n] of done) assert.equal(n, 1, `${node} committed ${n} times`);
  assert.deepEqual(outputDigests(join(killed.dir, '.moe')), expected);
  assert.equal(
    runJsonLines(moe(['run', 'p.yaml', '--json'], killed.dir).stdout).summary.counts['cached'],
    12,
  );
});

test('a second run on a busy workspace stops naming the holder’s pid; with --wait it waits and reuses', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, layered(0.5));
  const first = moeAsync(['run', 'p.yaml', '--jobs', '1'], dir);
  await waitFor(() => journalEvents(join(dir, '.moe')).some((e) => e.type === 'node-start'));
  const busy = moe(['run', 'p.yaml'], dir);
  assert.equal(busy.code, 3);
  assert.match(busy.stderr, new RegExp(`in use by moe run \\(pid ${first.child.pid} `));
  const waiting = moe(['run', 'p.yaml', '--wait', '60', '--json'], dir);
  assert.equal((await first.result).code, 0);
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.equal(runJsonLines(waiting.stdout).summary.counts['cached'], 12);
  const starts = journalEvents(join(dir, '.moe')).filter((e) => e.type === 'node-start');
  assert.equal(starts.length, 12, 'no node ran twice');
});

test('a workspace locked from another machine: run and gc say what to do when nothing runs there any more', (t) => {
  // A run on another host of a shared file system cannot be checked from here; after that machine
  // crashed, its lock stayed and the message only said to wait, which never ends.
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('remote'));
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  const lock = join(dir, '.moe', 'lock');
  const holder = { pid: 4242, host: 'gpu-node-7', command: 'moe run', since: '2026-12-01T10:00:00.000Z' };
  writeFileSync(lock, JSON.stringify(holder));
  for (const args of [
    ['run', 'p.yaml'],
    ['gc', 'p.yaml'],
  ]) {
    const r = moe(args, dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /in use by moe run \(pid 4242 on gpu-node-7/);
    assert.match(
      r.stderr,
      /moe cannot see the processes of gpu-node-7: if no moe runs there on this workspace any more, delete \.moe\/lock/,
    );
  }
  rmSync(lock);
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
});

test('Ctrl-C while --wait waits for a busy workspace exits 130 saying so, not 3 with "pass --wait"', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, layered(0.5));
  const first = moeAsync(['run', 'p.yaml', '--jobs', '1'], dir);
  await waitFor(() => journalEvents(join(dir, '.moe')).some((e) => e.type === 'node-start'));
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    const waiting = moeAsync(['run', 'p.yaml', '--wait', '60'], dir);
    // Past start-up, into the wait for the lock (the first run holds it for seconds yet).
    await new Promise((r) => setTimeout(r, 700));
    waiting.child.kill(sig);
    const r = await waiting.result;
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, new RegExp(`stopped while waiting for the workspace .*pid ${first.child.pid}`));
    assert.doesNotMatch(r.stderr, /pass --wait/);
  }
  assert.equal((await first.result).code, 0);
});

test('SIGTERM stops the run like Ctrl-C and exits 143; the stopped node counts as interrupted, not failed', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const slow = layered().replace(
    'run: sleep 0.1; (echo n0_0)',
    'run: if [ ! -f go ]; then sleep 30; fi; (echo n0_0)',
  );
  writePipeline(dir, slow);
  const run = moeAsync(['run', 'p.yaml', '--jobs', '1'], dir);
  await waitFor(() =>
    journalEvents(join(dir, '.moe')).some((e) => e.type === 'node-start' && e.node === 'n0_0'),
  );
  run.child.kill('SIGTERM');
  const r = await run.result;
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stdout, /interrupted: 0 ran, 0 cached, 0 failed, 1 interrupted, 11 skipped/);

  const status = moe(['status', 'p.yaml', '--json'], dir);
  const report = JSON.parse(status.stdout) as {
    status: string;
    counts: Record<string, number>;
    nodes: { node: string; state: string }[];
  };
  assert.equal(report.status, 'interrupted');
  assert.deepEqual(report.counts, { cached: 0, ran: 0, failed: 0, skipped: 11, interrupted: 1 });
  assert.equal(report.nodes.find((n) => n.node === 'n0_0')?.state, 'interrupted');
  assert.match(moe(['status', 'p.yaml'], dir).stdout, /0 failed, 1 interrupted/);

  writeFileSync(join(dir, 'go'), '');
  const again = moe(['run', 'p.yaml', '--json'], dir);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(runJsonLines(again.stdout).summary.counts['ran'], 12);
});
