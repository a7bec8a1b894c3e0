import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { collectGarbage } from '../../src/engine/gc.js';
import { checkRelativePath } from '../../src/engine/safe-path.js';
import { Store } from '../../src/engine/store.js';
import { latestRunId, readRunReport } from '../../src/engine/status.js';
import { pipelineKey } from '../../src/engine/workspace.js';
import { tearRecord } from './record-files.js';

test('paths that climb out of their directory are refused for outputs and inputs', () => {
  assert.deepEqual(checkRelativePath('../../etc/passwd', 'output x', { allowAbsolute: false }), {
    ok: false,
    error: 'output x path "../../etc/passwd" leaves its directory',
  });
  assert.equal(checkRelativePath('a/../../b', 'input', { allowAbsolute: true }).ok, false);
  assert.equal(checkRelativePath('/etc/passwd', 'output x', { allowAbsolute: false }).ok, false);
  assert.deepEqual(checkRelativePath('a/./b/', 'output x', { allowAbsolute: false }), {
    ok: true,
    value: 'a/b',
  });
});

test('a node declaring an output outside its directory fails without writing there', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(
    pipelineOf(rig.dir, {
      evil: { step: 'command', with: { run: 'true', outputs: { x: '../../escaped.txt' } } },
    }),
  );
  assert.equal(summary.status, 'failed');
  assert.match(summary.failures[0]!.error, /leaves its directory/);
});

test('a node declaring an input outside the pipeline directory fails', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(
    pipelineOf(rig.dir, { peek: { with: { content: 'x', inputs: ['../../etc/passwd'] } } }),
  );
  assert.equal(summary.status, 'failed');
  assert.match(summary.failures[0]!.error, /input path "..\/..\/etc\/passwd" leaves its directory/);
  assert.equal(rig.count('peek'), 0);
});

test('a missing input fails the node before it runs, naming the file', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(pipelineOf(rig.dir, { n: { with: { content: 'x', inputs: ['nope.txt'] } } }));
  assert.match(summary.failures[0]!.error, /input nope.txt does not exist/);
});

test('a half-written node (outputs staged, no record) does not count as done', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, { a: { with: { content: 'A' } } });
  await rig.run(p);
  // Simulate a crash between staging and commit on a fresh workspace: outputs in the store, no record.
  const store = new Store(rig.ws);
  const index = store.readIndex(pipelineKey(p.file))!;
  const record = index.nodes['a']!;
  assert.ok(store.readRecord(record.fingerprint));
  tearRecord(rig.ws, record.fingerprint); // a write stopped part way
  assert.equal(new Store(rig.ws).readRecord(record.fingerprint), undefined);
  writeFileSync(join(rig.ws.index, readdirSync(rig.ws.index)[0]!), '{}');
  const again = await rig.run(p);
  assert.equal(again.counts.ran, 1, 'a torn record is not a committed node');
  assert.equal(rig.count('a'), 2);
});

test('gc removes unreferenced store entries and keeps what the index and unfinished runs need', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'one' } } }));
  await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'two' } } }));
  assert.equal(readdirSync(rig.ws.store).length, 2);
  // An unfinished run's journal protects what it committed.
  mkdirSync(join(rig.ws.checkpoints, 'somefp'), { recursive: true });
  const report = await collectGarbage(rig.ws);
  assert.ok(report.ok);
  assert.equal(report.value.removedStoreEntries, 1);
  assert.equal(report.value.keptStoreEntries, 1);
  const left = readdirSync(rig.ws.store)[0]!;
  assert.equal(readFileSync(join(rig.ws.store, left, 'out.txt'), 'utf8'), 'two');
  assert.ok(existsSync(join(rig.ws.checkpoints, 'somefp')), 'a checkpoint without a record may resume a run');
  const rerun = await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'two' } } }));
  assert.equal(rerun.counts.cached, 1);
});

test('gc keeps results committed by a run that was killed before it wrote its index', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'one' } } }));
  // Drop the index and the run-end line, as kill -9 would leave them.
  for (const f of readdirSync(rig.ws.index)) writeFileSync(join(rig.ws.index, f), '{"nodes":{}}');
  const runId = latestRunId(rig.ws, undefined)!;
  const journal = join(rig.ws.runs, `${runId}.jsonl`);
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  writeFileSync(journal, `${lines.filter((l) => !l.includes('"run-end"')).join('\n')}\n`);
  const report = await collectGarbage(rig.ws);
  assert.ok(report.ok);
  assert.equal(report.value.removedStoreEntries, 0);
  assert.equal(readRunReport(rig.ws, runId)?.status, 'running');
});

test('status reads the last run back node by node', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('b', () => {
    throw new Error('b broke');
  });
  const p = pipelineOf(rig.dir, {
    a: { with: { content: 'a' } },
    b: { with: { from: ['${{ nodes.a.outputs.out }}'] } },
    c: { with: { from: ['${{ nodes.b.outputs.out }}'] } },
  });
  const summary = await rig.run(p);
  const report = readRunReport(rig.ws, latestRunId(rig.ws, pipelineKey(p.file))!)!;
  assert.equal(report.runId, summary.runId);
  assert.equal(report.status, 'failed');
  assert.deepEqual(
    report.nodes.map((n) => [n.node, n.state]),
    [
      ['a', 'done'],
      ['b', 'failed'],
      ['c', 'skipped'],
    ],
  );
  assert.equal(report.nodes[1]!.error, 'b broke');
  assert.ok(report.nodes[1]!.logFile?.endsWith('b.log'));
});
