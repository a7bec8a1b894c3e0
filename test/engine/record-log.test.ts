// Records are lines in per-run segment files (src/engine/record-log.ts): what a crash or a power loss can
// leave of them never counts as committed, the newest copy of a fingerprint wins, and workspaces from
// before segments (one file per record) are still read and moved into a segment by gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { collectGarbage } from '../../src/engine/gc.js';
import type { NodeRecord } from '../../src/engine/records.js';
import { Store } from '../../src/engine/store.js';
import { pipelineKey, recordPath } from '../../src/engine/workspace.js';
import { digest } from '../../src/util/brand.js';
import { zeroRecord } from './record-files.js';

function record(fp: string, durationMs: number): NodeRecord {
  return {
    format: 1,
    fingerprint: digest(fp.repeat(64).slice(0, 64)),
    node: `n${fp}`,
    pipeline: 'test',
    fields: {} as NodeRecord['fields'],
    outputs: { digest: digest('d'.repeat(64)), paths: { out: 'out.txt' } },
    finishedAt: new Date(0).toISOString(),
    durationMs,
  };
}

test('a torn last line, zeros left by a power loss, and two copies of one fingerprint: what counts', (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const [a, b1, b2, c] = [record('a', 1), record('b', 2), record('b', 3), record('c', 4)];
  const one = new Store(rig.ws, 'one');
  one.writeRecord(a);
  one.writeRecord(b1);
  one.close();
  // kill -9 stopped a write part way: the segment ends inside a line.
  appendFileSync(
    join(rig.ws.records, 'one.jsonl'),
    `{"format":1,"fingerprint":"${c.fingerprint}","node":"nc"}`,
  );
  const two = new Store(rig.ws, 'two');
  two.writeRecord(b2);
  two.close();
  const later = new Date(Date.now() + 1000);
  utimesSync(join(rig.ws.records, 'two.jsonl'), later, later);

  const read = new Store(rig.ws);
  assert.equal(read.readRecord(a.fingerprint)?.node, 'na');
  assert.equal(read.readRecord(b1.fingerprint)?.durationMs, 3, 'the segment written last wins');
  assert.equal(read.readRecord(c.fingerprint), undefined, 'a torn line is not a record');

  // A power loss left `a`'s line as zeros: `a` is gone, the line after it still reads.
  zeroRecord(rig.ws, a.fingerprint);
  const after = new Store(rig.ws);
  assert.equal(after.readRecord(a.fingerprint), undefined);
  assert.equal(after.readRecord(b1.fingerprint)?.durationMs, 3);

  // The next writer appends to its own segment, never after the torn line.
  const three = new Store(rig.ws, 'three');
  three.writeRecord(c);
  three.close();
  assert.equal(new Store(rig.ws).readRecord(c.fingerprint)?.durationMs, 4);
  assert.ok(readFileSync(join(rig.ws.records, 'one.jsonl'), 'utf8').endsWith('"node":"nc"}'));
});

test('a workspace from before segments (one file per record) is read, and gc moves its records into a segment', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipelineOf(rig.dir, {
    make: { step: 'command', with: { run: 'echo made > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } } },
    use: {
      step: 'command',
      with: { run: 'cat ${{ nodes.make.outputs.out }} > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } },
    },
  });
  assert.equal((await rig.run(p)).status, 'succeeded');
  // Rewrite the workspace in the old layout: records/<ab>/<fingerprint>.json, no segments, no index (so
  // the records themselves are what the next run finds).
  const store = new Store(rig.ws);
  const fps = [...store.records.fingerprints()];
  assert.equal(fps.length, 2);
  for (const fp of fps) {
    const path = recordPath(rig.ws, fp);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify(store.readRecord(fp)));
  }
  for (const name of readdirSync(rig.ws.records).filter((n) => n.endsWith('.jsonl'))) {
    rmSync(join(rig.ws.records, name));
  }
  rmSync(rig.ws.index, { recursive: true });

  assert.deepEqual((await rig.run(p)).counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });

  const gc = await collectGarbage(rig.ws);
  assert.ok(gc.ok);
  assert.equal(gc.value.removedRecords, 0);
  const left = readdirSync(rig.ws.records);
  assert.equal(left.length, 1, `one segment left, not ${left.join(', ')}`);
  assert.ok(left[0]!.endsWith('.jsonl'));
  for (const fp of fps) {
    assert.ok(!existsSync(recordPath(rig.ws, fp)));
    assert.ok(new Store(rig.ws).readRecord(fp), `record ${fp} lost by gc`);
  }
  rmSync(rig.ws.index, { recursive: true });
  assert.deepEqual((await rig.run(p)).counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });
});

test('gc keeps one segment of the live records and drops the rest', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  for (const content of ['one', 'two', 'three']) {
    await rig.run(pipelineOf(rig.dir, { a: { with: { content } }, b: { with: { content: 'b' } } }));
  }
  const key = pipelineKey(join(rig.dir, 'test.yaml'));
  const live = new Store(rig.ws).readIndex(key)!.nodes;
  const gc = await collectGarbage(rig.ws);
  assert.ok(gc.ok);
  assert.equal(gc.value.removedRecords, 2, 'the records of `one` and `two`');
  assert.equal(readdirSync(rig.ws.records).length, 1);
  const store = new Store(rig.ws);
  assert.deepEqual(
    [...store.records.fingerprints()].sort(),
    [live['a']!.fingerprint, live['b']!.fingerprint].sort(),
  );
  const again = await rig.run(
    pipelineOf(rig.dir, { a: { with: { content: 'three' } }, b: { with: { content: 'b' } } }),
  );
  assert.deepEqual(again.counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });
});

test('a record line starts with the format and the fingerprint whatever order its keys were built in', (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const built = record('a', 1);
  const { node, fingerprint, format, ...rest } = built;
  const reordered = { node, ...rest, fingerprint, format } as NodeRecord;
  const store = new Store(rig.ws, 'order');
  store.writeRecord(built);
  store.writeRecord({ ...reordered, fingerprint: record('b', 2).fingerprint });
  store.close();
  const lines = readFileSync(join(rig.ws.records, 'order.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, /^\{"format":1,"fingerprint":"[0-9a-f]{64}","node":"na"/);
  const read = new Store(rig.ws);
  assert.deepEqual(read.readRecord(built.fingerprint), built);
  assert.equal(read.readRecord(record('b', 2).fingerprint)?.node, 'na');
});
