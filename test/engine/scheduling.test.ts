import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { ResourcePool } from '../../src/engine/resources.js';
import { schedule } from '../../src/engine/scheduler.js';
import type { NodeId } from '../../src/util/brand.js';

test('a failing node is retried with exponential backoff and succeeds on its third attempt', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('flaky', (ctx) => {
    if (ctx.attempt < 3) throw new Error(`flake ${ctx.attempt}`);
  });
  const summary = await rig.run(
    pipelineOf(rig.dir, { flaky: { with: { content: 'ok' }, retry: { limit: 2, backoffMs: 20 } } }),
  );
  assert.equal(summary.status, 'succeeded');
  assert.equal(rig.count('flaky'), 3);
  const retries = rig.events.filter((e) => e.type === 'node-retry');
  assert.deepEqual(
    retries.map((e) => (e.type === 'node-retry' ? [e.attempt, e.delayMs, e.error] : [])),
    [
      [1, 20, 'flake 1'],
      [2, 40, 'flake 2'],
    ],
  );
});

test('retries stop at the limit and the node fails with the last error and its log file', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('bad', () => {
    throw new Error('always');
  });
  const summary = await rig.run(
    pipelineOf(rig.dir, { bad: { with: { content: 'x' }, retry: { limit: 1, backoffMs: 1 } } }),
  );
  assert.equal(summary.status, 'failed');
  assert.equal(rig.count('bad'), 2);
  assert.equal(summary.failures[0]?.error, 'always');
  assert.ok(existsSync(summary.failures[0]!.logFile), 'the log file named in the failure exists');
});

test('a node over its timeout is aborted and reported as timed out', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  let sawAbort = false;
  rig.behaviours.set('slow', (ctx) => {
    return new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => {
        sawAbort = true;
        reject(new Error('stopped'));
      });
    });
  });
  const started = Date.now();
  const summary = await rig.run(pipelineOf(rig.dir, { slow: { with: { content: 'x' }, timeoutMs: 150 } }));
  assert.equal(summary.status, 'failed');
  assert.ok(sawAbort, 'the step saw its signal abort');
  assert.ok(Date.now() - started < 5000);
  const failed = rig.events.find((e) => e.type === 'node-failed');
  assert.ok(failed?.type === 'node-failed');
  assert.equal(failed.kind, 'timeout');
  assert.match(failed.error, /timed out after 150ms/);
});

test('GPU nodes get distinct device ids, never shared while running, and CUDA_VISIBLE_DEVICES names them', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const held = new Set<number>();
  const log: { node: string; gpus: number[]; env: string | undefined }[] = [];
  let maxAtOnce = 0;
  const nodes: Record<string, { with: { content: string }; gpu: number }> = {};
  for (let i = 0; i < 6; i++) {
    nodes[`g${i}`] = { with: { content: String(i) }, gpu: 1 };
    rig.behaviours.set(`g${i}`, async (ctx) => {
      for (const g of ctx.gpus) {
        assert.ok(!held.has(g), `gpu ${g} handed out twice`);
        held.add(g);
      }
      maxAtOnce = Math.max(maxAtOnce, held.size);
      log.push({ node: ctx.nodeId, gpus: [...ctx.gpus], env: ctx.env['CUDA_VISIBLE_DEVICES'] });
      await new Promise((r) => setTimeout(r, 30));
      for (const g of ctx.gpus) held.delete(g);
    });
  }
  nodes['cpu'] = { with: { content: 'c' }, gpu: 0 };
  rig.behaviours.set('cpu', (ctx) => {
    assert.equal(ctx.env['CUDA_VISIBLE_DEVICES'], '', 'a node without GPUs sees none');
  });
  const summary = await rig.run(pipelineOf(rig.dir, nodes), { gpus: [0, 3], jobs: 8 });
  assert.equal(summary.status, 'succeeded');
  assert.equal(log.length, 6);
  assert.equal(maxAtOnce, 2, 'both devices were used at once');
  for (const l of log) {
    assert.equal(l.gpus.length, 1);
    assert.ok([0, 3].includes(l.gpus[0]!));
    assert.equal(l.env, String(l.gpus[0]));
  }
});

test('a node waiting out its retry backoff gives its job slot and GPU to other nodes meanwhile', async (t) => {
  // The backoff (`retry: { backoff: 5m }`) held the node's slot, cores and GPU idle: a node that could use
  // them waited for the whole backoff.
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const seen: { node: string; gpus: number[]; env: string | undefined }[] = [];
  rig.behaviours.set('flaky', (ctx) => {
    seen.push({ node: 'flaky', gpus: [...ctx.gpus], env: ctx.env['CUDA_VISIBLE_DEVICES'] });
    if (ctx.attempt < 3) throw new Error(`flake ${ctx.attempt}`);
  });
  rig.behaviours.set('other', async (ctx) => {
    seen.push({ node: 'other', gpus: [...ctx.gpus], env: ctx.env['CUDA_VISIBLE_DEVICES'] });
    await new Promise((r) => setTimeout(r, 50));
  });
  const nodes = {
    flaky: { with: { content: 'f' }, gpu: 1, retry: { limit: 2, backoffMs: 400 } },
    other: { with: { content: 'o' }, gpu: 1 },
  };
  for (const jobs of [1, 4]) {
    const summary = await rig.run(pipelineOf(rig.dir, nodes), { gpus: [5], jobs, force: ['flaky', 'other'] });
    assert.equal(summary.status, 'succeeded', `jobs ${jobs}`);
    const at = (type: string, node: string, n = 0): number => {
      const found = rig.events.filter((e) => e.type === type && 'node' in e && e.node === node)[n];
      assert.ok(found, `${type} ${node}`);
      return found.time;
    };
    const otherStart = at('node-start', 'other');
    assert.ok(
      otherStart >= at('node-retry', 'flaky') && otherStart < at('node-start', 'flaky', 1),
      `jobs ${jobs}: other started during flaky's first backoff`,
    );
    assert.ok(
      at('node-done', 'other') <= at('node-start', 'flaky', 1),
      'flaky came back once the GPU was free',
    );
  }
  for (const s of seen) assert.deepEqual([s.gpus, s.env], [[5], '5'], `${s.node} had the GPU`);
  const starts = rig.events.filter((e) => e.type === 'node-start' && e.node === 'flaky');
  assert.deepEqual(
    starts.map((e) => (e.type === 'node-start' ? e.gpus : [])),
    [[5], [5], [5]],
  );
});

test('a node back from its backoff still retries after another node failed, and gives up when the run is interrupted', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('flaky', (ctx) => {
    if (ctx.attempt < 2) throw new Error('flake');
  });
  rig.behaviours.set('bad', () => {
    throw new Error('bad broke');
  });
  const stopped = await rig.run(
    pipelineOf(rig.dir, {
      flaky: { with: { content: 'f' }, retry: { limit: 1, backoffMs: 100 } },
      bad: { with: { content: 'b' } },
    }),
    { jobs: 1 },
  );
  assert.equal(stopped.status, 'failed');
  assert.deepEqual(
    stopped.failures.map((f) => f.node),
    ['bad'],
  );
  assert.equal(rig.count('flaky'), 2, 'flaky ran its retry once the failed node had freed the slot');

  const controller = new AbortController();
  rig.behaviours.set('flaky2', () => {
    throw new Error('flake');
  });
  rig.behaviours.set('long', async (ctx) => {
    setTimeout(() => controller.abort(), 100);
    await new Promise((r) => ctx.signal.addEventListener('abort', r));
    throw new Error('stopped');
  });
  const interrupted = await rig.run(
    pipelineOf(rig.dir, {
      flaky2: { with: { content: 'f2' }, retry: { limit: 1, backoffMs: 20 } },
      long: { with: { content: 'l' } },
    }),
    { jobs: 1, signal: controller.signal },
  );
  assert.equal(interrupted.status, 'interrupted');
  assert.equal(rig.count('flaky2'), 1, 'no retry after the interruption');
  const ends = rig.events.filter((e) => e.type === 'node-failed' && e.node === 'flaky2');
  assert.equal(ends.length, 1);
});

test('a node asking for more GPUs than exist fails with a clear message', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(pipelineOf(rig.dir, { big: { with: { content: 'x' }, gpu: 2 } }), {
    gpus: [0],
  });
  assert.equal(summary.status, 'failed');
  assert.match(summary.failures[0]!.error, /asks for 2 GPUs but only 1 is available/);
  assert.equal(rig.count('big'), 0);
});

test('without --keep-going a failure stops the run; with it, independent branches finish', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('a', () => {
    throw new Error('a broke');
  });
  const nodes = {
    a: { with: { content: 'a' } },
    b: { with: { from: ['${{ nodes.a.outputs.out }}'] } },
    c: { with: { content: 'c' } },
    d: { with: { from: ['${{ nodes.c.outputs.out }}'] } },
  };
  const p = pipelineOf(rig.dir, nodes);
  const stopped = await rig.run(p, { jobs: 1 });
  assert.equal(stopped.status, 'failed');
  assert.equal(rig.count('d'), 0, 'nothing new starts after the failure');
  const skipped = rig.events.filter((e) => e.type === 'node-skipped');
  assert.ok(
    skipped.some((e) => e.type === 'node-skipped' && e.node === 'b' && e.reason === 'upstream a failed'),
  );

  const going = await rig.run(p, { jobs: 1, keepGoing: true });
  assert.equal(going.status, 'failed');
  assert.equal(rig.count('d'), 1);
  assert.equal(rig.count('b'), 0);
  assert.deepEqual(going.counts, { cached: 0, ran: 2, failed: 1, skipped: 1 });
});

test('a step that leaves a declared output missing fails and commits nothing', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(
    pipelineOf(rig.dir, {
      lazy: {
        step: 'command',
        with: { run: 'echo hi > "$MOE_OUT/other.txt"', outputs: { result: 'result.txt' } },
      },
    }),
  );
  assert.equal(summary.status, 'failed');
  assert.match(summary.failures[0]!.error, /declared output missing: result \(result.txt\)/);
  assert.ok(!existsSync(rig.ws.records) || readdirSync(rig.ws.records).length === 0);
});

test('the checkpoint dir survives a failed attempt and is gone once the node commits', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const dirs: string[] = [];
  rig.behaviours.set('train', (ctx) => {
    dirs.push(ctx.checkpointDir);
    if (ctx.attempt === 1) {
      writeFileSync(join(ctx.checkpointDir, 'step-10'), '10');
      throw new Error('crashed at step 11');
    }
    assert.ok(existsSync(join(ctx.checkpointDir, 'step-10')), 'the retry sees the checkpoint');
  });
  const summary = await rig.run(
    pipelineOf(rig.dir, { train: { with: { content: 'model' }, retry: { limit: 1, backoffMs: 1 } } }),
  );
  assert.equal(summary.status, 'succeeded');
  assert.equal(dirs[0], dirs[1]);
  assert.ok(!existsSync(dirs[0]!));
});

test('aborting a run stops the running step, records it as interrupted, and a rerun completes', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const controller = new AbortController();
  rig.behaviours.set('b', (ctx) => {
    if (rig.count('b') > 1) return;
    setTimeout(() => controller.abort(new Error('interrupted')), 10);
    return new Promise((_, reject) =>
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
    );
  });
  const p = pipelineOf(rig.dir, {
    a: { with: { content: 'a' } },
    b: { with: { from: ['${{ nodes.a.outputs.out }}'] } },
    c: { with: { from: ['${{ nodes.b.outputs.out }}'] } },
  });
  const first = await rig.run(p, { signal: controller.signal });
  assert.equal(first.status, 'interrupted');
  assert.deepEqual(first.counts, { cached: 0, ran: 1, failed: 0, skipped: 1, interrupted: 1 });
  assert.deepEqual(first.failures, [], 'an interrupted node is not a failure');
  assert.equal(rig.count('c'), 0);
  const skip = rig.events.find((e) => e.type === 'node-skipped' && e.node === 'c');
  assert.equal(skip?.type === 'node-skipped' ? skip.reason : undefined, 'upstream b was interrupted');
  const second = await rig.run(p);
  assert.equal(second.status, 'succeeded');
  assert.deepEqual([rig.count('a'), rig.count('b'), rig.count('c')], [1, 2, 1]);
});

test('a node hands its job slot on when its step is done, before its own commit finishes', async () => {
  const pool = new ResourcePool({ jobs: 1, cpu: 4, memoryBytes: 2 ** 30, gpus: [0] });
  const order = ['a', 'b', 'c'] as NodeId[];
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let finishCommit: () => void = () => undefined;
  const result = await schedule({
    order,
    needs: (id) => (id === 'c' ? (['a'] as NodeId[]) : []),
    pool,
    keepGoing: false,
    signal: new AbortController().signal,
    hooks: {
      prepare: () => Promise.resolve({ kind: 'run', resources: { cpu: 1, memoryBytes: undefined, gpu: 1 } }),
      execute: async (id, grant, stepDone) => {
        started.push(id);
        assert.deepEqual(grant.gpus, [0]);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        stepDone();
        // a's commit is held until b has started on the slot a gave back (or a second has passed).
        if (id === 'a') {
          await new Promise<void>((r) => {
            finishCommit = r;
            setTimeout(r, 1000);
          });
          started.push('a committed');
        } else if (id === 'b') finishCommit();
        return true;
      },
    },
  });
  assert.deepEqual(
    started,
    ['a', 'b', 'a committed', 'c'],
    'b started while a was committing; c waited for a',
  );
  assert.equal(maxRunning, 1, 'never more steps running than job slots');
  assert.equal(result.done.size, 3);
});

test('with a cluster capacity (Infinity) every ready node is submitted at once; the local one caps them', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const ids = ['v1', 'v2', 'v3', 'v4'];
  let running = 0;
  let most = 0;
  for (const id of ids) {
    rig.behaviours.set(id, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 150));
      running -= 1;
    });
  }
  const nodes = Object.fromEntries(ids.map((id) => [id, { with: { content: id }, cpu: 2 }]));
  await rig.run(pipelineOf(rig.dir, nodes), { jobs: 8, capacity: { cpu: 2, memoryBytes: Infinity } });
  assert.equal(most, 1, 'two cores: one 2-core node at a time');
  most = 0;
  await rig.run(pipelineOf(rig.dir, { ...nodes, v1: { with: { content: 'again' }, cpu: 2 } }), {
    jobs: 8,
    capacity: { cpu: Infinity, memoryBytes: Infinity },
    force: ids,
  });
  assert.equal(most, 4, 'a cluster places the jobs: all four are submitted side by side');
});
