// The pipeline index after a run: the records the run committed are copied from the record log (the run
// keeps only what later nodes read of them), the others stay as the previous index had them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { Rig, pipelineOf } from './rig.js';
import { Store } from '../../src/engine/store.js';
import { pipelineKey } from '../../src/engine/workspace.js';
import type { Digest } from '../../src/util/brand.js';

test("the index holds each node's record as the record log has it, the unchanged ones from the run before", async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const first = pipelineOf(rig.dir, {
    a: { with: { content: 'A' } },
    b: { with: { from: ['${{ nodes.a.outputs.out }}'], tag: 1 } },
  });
  const ran = await rig.run(first);
  assert.equal(ran.counts.ran, 2);
  const key = pipelineKey(first.file);
  const before = new Store(rig.ws).readIndex(key)!;
  assert.deepEqual(Object.keys(before.nodes), ['a', 'b']);
  for (const id of ['a', 'b']) {
    const indexed = before.nodes[id]!;
    assert.deepEqual(indexed, new Store(rig.ws).readRecord(indexed.fingerprint), id);
    assert.equal(indexed.node, id);
    assert.equal(typeof indexed.outputs.stamp, 'string');
  }
  // What the run handed over for the final outputs is the final node's result (the stamp stays in the
  // log); a's, read by b and by nothing after it, was trimmed to its fingerprint once b had finished.
  const handed = ran.records.get('b' as never)?.outputs;
  assert.deepEqual(
    { digest: handed?.digest, paths: handed?.paths },
    { digest: before.nodes['b']!.outputs.digest, paths: before.nodes['b']!.outputs.paths },
  );
  assert.deepEqual([...ran.records.keys()], ['b']);

  const second = pipelineOf(rig.dir, {
    a: { with: { content: 'A' } },
    b: { with: { from: ['${{ nodes.a.outputs.out }}'], tag: 2 } },
  });
  const again = await rig.run(second);
  assert.deepEqual(again.counts, { cached: 1, ran: 1, failed: 0, skipped: 0 });
  const after = new Store(rig.ws).readIndex(key)!;
  assert.deepEqual(after.nodes['a'], before.nodes['a']);
  assert.notEqual(after.nodes['b']!.fingerprint, before.nodes['b']!.fingerprint);
  assert.deepEqual(after.nodes['b'], new Store(rig.ws).readRecord(after.nodes['b']!.fingerprint));
});

test('an index whose record cannot be read back from the log is not written at all', (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const store = new Store(rig.ws);
  const missing = 'f'.repeat(64) as Digest;
  assert.throws(
    () => store.writeIndexOf('k', { file: 'x.yaml', pipeline: 'x' }, new Map([['a', missing]])),
    /the record of a .* cannot be read back/,
  );
  assert.deepEqual(existsSync(rig.ws.index) ? readdirSync(rig.ws.index) : [], []);
});
