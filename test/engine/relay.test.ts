// Relays: a waiting command node is admitted behind a running one and its job queued on that job's
// worker, so the worker starts it without waiting for moe. What must hold: no more jobs at once than
// --jobs, a follower starts (event, timeout) when its job does, and a follower stopped before its job
// started never ran (skipped, not interrupted) and runs on the next run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import type { NodeSpec } from './rig.js';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A shell loop that waits (up to 10 s) until two staging folders exist: its own and its follower's. */
function untilStaged(staging: string): string {
  return `i=0; while [ "$(ls ${q(staging)} | wc -l)" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`;
}

function command(run: string, extra: Partial<NodeSpec> = {}): NodeSpec {
  return { step: 'command', with: { run, outputs: { out: 'out.txt' } }, ...extra };
}

test('relayed command nodes: never more jobs at once than --jobs, one start event each, the same outputs', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const trace = join(rig.dir, 'trace');
  const nodes: Record<string, NodeSpec> = {};
  for (let i = 0; i < 12; i++) {
    // Each job marks its start and end in one file (O_APPEND: whole lines).
    nodes[`n${i}`] = command(
      `echo s >> ${q(trace)}; sleep 0.05; echo e >> ${q(trace)}; echo ${i} > "$MOE_OUT/out.txt"`,
    );
  }
  const summary = await rig.run(pipelineOf(rig.dir, nodes), { jobs: 2 });
  assert.equal(summary.status, 'succeeded');
  assert.equal(summary.counts.ran, 12);
  let running = 0;
  let most = 0;
  for (const mark of readFileSync(trace, 'utf8').split('\n')) {
    if (mark === 's') most = Math.max(most, ++running);
    else if (mark === 'e') running -= 1;
  }
  assert.equal(most, 2, 'two jobs ran at once, never three');
  for (let i = 0; i < 12; i++) {
    const rec = summary.records.get(`n${i}` as never);
    assert.ok(rec);
    assert.equal(readFileSync(join(rig.ws.store, rec.outputs.digest, 'out.txt'), 'utf8'), `${i}\n`);
  }
  const starts = rig.events.filter((e) => e.type === 'node-start');
  assert.equal(starts.length, 12, 'one node-start per node');
});

test("with one job slot the next node is staged while a job runs; a follower's timeout counts from its job's start", async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const staged = join(rig.dir, 'staged');
  const p = pipelineOf(rig.dir, {
    a: command(
      `${untilStaged(rig.ws.staging)}; ls ${q(rig.ws.staging)} > ${q(staged)}; sleep 0.6; echo a > "$MOE_OUT/out.txt"`,
    ),
    b: command('sleep 0.1; echo b > "$MOE_OUT/out.txt"', { timeoutMs: 400 }),
  });
  const summary = await rig.run(p, { jobs: 1 });
  assert.equal(summary.status, 'succeeded', JSON.stringify(summary.failures));
  const start = (n: string): number => {
    const e = rig.events.find((x) => x.type === 'node-start' && x.node === n);
    assert.ok(e);
    return e.time;
  };
  assert.ok(start('b') - start('a') >= 500, 'b started when a had ended');
  assert.equal(
    readFileSync(staged, 'utf8').trim().split('\n').length,
    2,
    "a's folder and b's, queued behind a",
  );
});

test('a follower stopped before its job started never ran: skipped, not interrupted, and the rerun runs it', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const staged = join(rig.dir, 'staged');
  const mark = join(rig.dir, 'b-ran');
  const p = pipelineOf(rig.dir, {
    a: command(
      `${untilStaged(rig.ws.staging)}; ls ${q(rig.ws.staging)} > ${q(staged)}; sleep 0.1; sleep 5; echo a > "$MOE_OUT/out.txt"`,
    ),
    b: command(`touch ${q(mark)}; echo b > "$MOE_OUT/out.txt"`),
  });
  const controller = new AbortController();
  const stop = setInterval(() => {
    if (existsSync(staged) && readFileSync(staged, 'utf8') !== '') controller.abort(new Error('interrupted'));
  }, 20);
  let first;
  try {
    first = await rig.run(p, { jobs: 1, signal: controller.signal });
  } finally {
    clearInterval(stop);
  }
  assert.equal(first.status, 'interrupted');
  assert.deepEqual(first.counts, { cached: 0, ran: 0, failed: 0, skipped: 1, interrupted: 1 });
  assert.equal(readFileSync(staged, 'utf8').trim().split('\n').length, 2, 'b was queued behind a');
  assert.ok(!existsSync(mark), "b's job never ran");
  assert.deepEqual(rig.nodesWith('node-start'), ['a']);
  assert.deepEqual(rig.nodesWith('node-skipped'), ['b']);
  assert.deepEqual(readdirSync(rig.ws.staging), [], 'no staging folder left behind');
  const second = await rig.run(
    pipelineOf(rig.dir, {
      a: command('echo a > "$MOE_OUT/out.txt"'),
      b: command(`touch ${q(mark)}; echo b > "$MOE_OUT/out.txt"`),
    }),
    { jobs: 1 },
  );
  assert.equal(second.status, 'succeeded');
  assert.ok(existsSync(mark));
});

test('after a failure no queued node starts: behind the failed job or behind one still running (without --keep-going)', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const ran = (n: string): string => join(rig.dir, `${n}-ran`);
  const marks = (...names: string[]): string[] => names.filter((n) => existsSync(ran(n)));
  // One slot: b is queued behind a, which fails.
  const one = await rig.run(
    pipelineOf(rig.dir, {
      a: command('sleep 0.3; exit 3'),
      b: command(`touch ${q(ran('b'))}; echo b > "$MOE_OUT/out.txt"`),
      c: command(`touch ${q(ran('c'))}; echo c > "$MOE_OUT/out.txt"`),
    }),
    { jobs: 1 },
  );
  assert.equal(one.status, 'failed');
  assert.deepEqual(marks('b', 'c'), [], 'nothing ran after a failed');
  assert.deepEqual(one.counts, { cached: 0, ran: 0, failed: 1, skipped: 2 });
  assert.deepEqual(rig.nodesWith('node-start'), ['a']);
  // Two slots: e's job is queued behind d's, which is still running when x fails on the other worker.
  rig.events.length = 0;
  const two = await rig.run(
    pipelineOf(rig.dir, {
      x: command('sleep 0.2; exit 3'),
      d: command(`sleep 0.6; echo d > "$MOE_OUT/out.txt"`),
      e: command(`touch ${q(ran('e'))}; echo e > "$MOE_OUT/out.txt"`),
      f: command(`touch ${q(ran('f'))}; echo f > "$MOE_OUT/out.txt"`),
    }),
    { jobs: 2 },
  );
  assert.equal(two.status, 'failed');
  assert.deepEqual(marks('e', 'f'), [], 'nothing started after x failed');
  assert.deepEqual(two.counts, { cached: 0, ran: 1, failed: 1, skipped: 2 });
  assert.deepEqual(readdirSync(rig.ws.staging), [], 'no staging folder left behind');
});

test('with --keep-going a node queued behind a failed job still runs', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const mark = join(rig.dir, 'b-ran');
  const summary = await rig.run(
    pipelineOf(rig.dir, {
      a: command('sleep 0.3; exit 3'),
      b: command(`touch ${q(mark)}; echo b > "$MOE_OUT/out.txt"`),
    }),
    { jobs: 1, keepGoing: true },
  );
  assert.equal(summary.status, 'failed');
  assert.deepEqual(summary.counts, { cached: 0, ran: 1, failed: 1, skipped: 0 });
  assert.ok(existsSync(mark));
});

test('a follower whose job has not started takes a slot that frees before its lead ends, and runs once', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const trace = join(rig.dir, 'trace');
  const job = (name: string, seconds: number): NodeSpec =>
    command(
      `echo s >> ${q(trace)}; echo ${name} >> ${q(join(rig.dir, 'ran'))}; sleep ${seconds}; echo e >> ${q(trace)}; echo ${name} > "$MOE_OUT/out.txt"`,
    );
  // Two slots: a (long) and b run; c and d are queued behind them. d (or c) ends long before a does, and
  // the one still queued behind a must take the free slot, not wait for a.
  const summary = await rig.run(
    pipelineOf(rig.dir, { a: job('a', 2.5), b: job('b', 0.2), c: job('c', 0.2), d: job('d', 0.2) }),
    { jobs: 2 },
  );
  assert.equal(summary.status, 'succeeded', JSON.stringify(summary.failures));
  const timeOf = (type: string, n: string): number => {
    const e = rig.events.find((x) => x.type === type && 'node' in x && x.node === n);
    assert.ok(e, `${type} ${n}`);
    return e.time;
  };
  const aDone = timeOf('node-done', 'a');
  for (const n of ['b', 'c', 'd'])
    assert.ok(timeOf('node-done', n) < aDone - 1000, `${n} ended well before a did (a slot was free)`);
  assert.deepEqual(readFileSync(join(rig.dir, 'ran'), 'utf8').split('\n').filter(Boolean).sort(), [
    'a',
    'b',
    'c',
    'd',
  ]);
  assert.equal(rig.events.filter((e) => e.type === 'node-start').length, 4, 'one node-start per node');
  let running = 0;
  let most = 0;
  for (const mark of readFileSync(trace, 'utf8').split('\n')) {
    if (mark === 's') most = Math.max(most, ++running);
    else if (mark === 'e') running -= 1;
  }
  assert.equal(most, 2, 'never more than two jobs at once');
  // A moved job's mark goes once its old worker, past its lead's job, has said it did not start it.
  const marks = (): string[] =>
    readdirSync(rig.ws.runs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.moved'));
  for (let i = 0; i < 100 && marks().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(marks(), [], 'no mark left behind');
});
