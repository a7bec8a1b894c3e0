import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { Store } from '../../src/engine/store.js';
import { InputDigester } from '../../src/engine/input-digests.js';
import { planPipeline } from '../../src/engine/plan.js';
import { resolveRefs } from './rig.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import type { NodeId } from '../../src/util/brand.js';
import type { NodeRecord } from '../../src/engine/records.js';
import { pipelineKey } from '../../src/engine/workspace.js';

const chain = (rig: Rig, strength: number, input = 'prep.txt'): Pipeline =>
  pipelineOf(
    rig.dir,
    {
      prepare: { with: { content: 'data:${{ params.seed }}', inputs: [input] } },
      train: { with: { from: ['${{ nodes.prepare.outputs.out }}'], strength: '${{ params.strength }}' } },
      report: { with: { from: ['${{ nodes.train.outputs.out }}'] } },
    },
    { strength, seed: 1 },
  );

async function plan(rig: Rig, p: Pipeline) {
  const store = new Store(rig.ws);
  const index = store.readIndex(pipelineKey(p.file));
  return planPipeline(
    {
      pipeline: p,
      steps: rig.registry,
      resolve: resolveRefs,
      env: {},
      digester: new InputDigester(rig.ws.statCache),
    },
    {
      byFingerprint: (fp) => store.readRecord(fp),
      last: (id: NodeId) => index?.nodes[id] as NodeRecord | undefined,
      hasOutputs: (r) => store.hasOutputs(r),
    },
    { selected: new Set(p.order), forced: new Set() },
  );
}

test('a second run with nothing changed runs nothing; a changed parameter reruns only what reads it', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  const first = await rig.run(chain(rig, 0.3));
  assert.equal(first.status, 'succeeded');
  assert.deepEqual(first.counts, { cached: 0, ran: 3, failed: 0, skipped: 0 });

  const second = await rig.run(chain(rig, 0.3));
  assert.deepEqual(second.counts, { cached: 3, ran: 0, failed: 0, skipped: 0 });
  assert.equal(rig.count('prepare'), 1);

  const entries = await plan(rig, chain(rig, 0.35));
  assert.deepEqual(
    entries.map((e) => [e.node, e.status, e.reasons]),
    [
      ['prepare', 'cached', []],
      ['train', 'run', ['params.strength 0.3 → 0.35']],
      ['report', 'blocked', ['waits for train']],
    ],
  );
  await rig.run(chain(rig, 0.35));
  assert.equal(rig.count('prepare'), 1);
  assert.equal(rig.count('train'), 2);
  // train's output bytes did not change (strength is not written), so report stays cached.
  assert.equal(rig.count('report'), 1);
  assert.deepEqual(rig.nodesWith('node-cached'), ['prepare', 'report']);
});

test('plan names a changed input file and the upstream node that changed', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  // prepare writes the seed and reads prep.txt; train reads prepare's output.
  const seeded = (seed: number) =>
    pipelineOf(
      rig.dir,
      {
        prepare: { with: { content: '${{ params.seed }}', inputs: ['prep.txt'] } },
        train: { with: { from: ['${{ nodes.prepare.outputs.out }}'] } },
      },
      { seed },
    );
  const p = seeded(1);
  await rig.run(p);
  rig.write('prep.txt', 'v2');
  const entries = await plan(rig, p);
  assert.deepEqual(entries[0]!.reasons, ['input prep.txt changed']);
  // Changing the seed changes prepare's bytes, so train reruns because its upstream changed.
  const p2 = seeded(2);
  await rig.run(p2);
  assert.equal(rig.count('train'), 2);
  const startTrain = rig.events.find((e) => e.type === 'node-start' && e.node === 'train');
  assert.ok(startTrain && startTrain.type === 'node-start');
  assert.deepEqual(startTrain.reasons, ['upstream prepare changed']);
});

test('changing an input file back restores the earlier cached result', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, { a: { with: { content: 'x', inputs: ['in'] } } });
  rig.write('in', 'one');
  await rig.run(p);
  rig.write('in', 'two');
  await rig.run(p);
  rig.write('in', 'one');
  const third = await rig.run(p);
  assert.equal(third.counts.cached, 1);
  assert.equal(rig.count('a'), 2);
});

test('outputs live in the content-addressed store and downstream reads them from there', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, {
    a: { with: { content: 'A' } },
    b: { with: { content: 'B' } },
    c: { with: { from: ['${{ nodes.a.outputs.out }}', '${{ nodes.b.outputs.out }}'] } },
  });
  await rig.run(p);
  const stored = readdirSync(rig.ws.store);
  assert.equal(stored.length, 3);
  const contents = stored.map((d) => readFileSync(join(rig.ws.store, d, 'out.txt'), 'utf8')).sort();
  assert.deepEqual(contents, ['A', 'AB', 'B']);
  assert.ok(!existsSync(rig.ws.staging) || readdirSync(rig.ws.staging).length === 0);
});

test('--force reruns one node; --from reruns it and everything downstream; --only runs just one', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  const p = chain(rig, 0.3);
  await rig.run(p);
  await rig.run(p, { force: ['train'] });
  assert.deepEqual([rig.count('prepare'), rig.count('train'), rig.count('report')], [1, 2, 1]);
  await rig.run(p, { from: ['train'] });
  assert.deepEqual([rig.count('prepare'), rig.count('train'), rig.count('report')], [1, 3, 2]);
  await rig.run(p, { only: ['report'], force: ['report'] });
  assert.deepEqual([rig.count('prepare'), rig.count('train'), rig.count('report')], [1, 3, 3]);
});

test('--only on a node whose upstream is not committed fails with a message saying so', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  const summary = await rig.run(chain(rig, 0.3), { only: ['train'] });
  assert.equal(summary.status, 'failed');
  assert.equal(
    summary.failures[0]?.error,
    'upstream prepare has no up-to-date result (run it first, or drop --only)',
  );
  assert.equal(rig.count('train'), 0);
});

test('a step sees every ancestor: its step, duration, summary, and whether this run reused it', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  const seen: Record<string, unknown>[] = [];
  rig.behaviours.set('report', (ctx) => {
    seen.push(JSON.parse(JSON.stringify(ctx.upstream ?? {})) as Record<string, unknown>);
  });
  await rig.run(chain(rig, 0.3));
  const first = seen[0] as Record<string, { step: string; reused: boolean; durationMs: number }>;
  assert.deepEqual(Object.keys(first).sort(), ['prepare', 'train']);
  assert.equal(first.prepare?.step, 'probe');
  assert.equal(first.prepare?.reused, false);
  assert.ok((first.train?.durationMs ?? -1) >= 0);

  // The report alone reruns: both ancestors now come from the store.
  await rig.run(chain(rig, 0.3), { force: ['report'] });
  const second = seen[1] as Record<string, { reused: boolean }>;
  assert.equal(second.prepare?.reused, true);
  assert.equal(second.train?.reused, true);
});

test('metrics a step reports are kept in its record, finite numbers only, and a cached node still has them', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.write('prep.txt', 'v1');
  rig.results.set('train', {
    summary: { note: 'x' },
    metrics: { 'loss.full': 0.25, steps_per_s: 12, broken: Number.NaN, far: Number.POSITIVE_INFINITY },
  });
  await rig.run(chain(rig, 0.3));
  const done = rig.events.find((e) => e.type === 'node-done' && e.node === 'train');
  assert.deepEqual(done?.type === 'node-done' ? done.metrics : undefined, {
    'loss.full': 0.25,
    steps_per_s: 12,
  });
  const store = new Store(rig.ws);
  const fp = done?.type === 'node-done' ? done.fingerprint : '';
  assert.deepEqual(store.readRecord(fp as never)?.metrics, { 'loss.full': 0.25, steps_per_s: 12 });

  await rig.run(chain(rig, 0.3));
  assert.equal(rig.count('train'), 1, 'the second run reuses the node');
  const index = store.readIndex(pipelineKey(chain(rig, 0.3).file));
  assert.deepEqual(index?.nodes['train']?.metrics, { 'loss.full': 0.25, steps_per_s: 12 });
});
