// A lost record (its line gone from its segment) must not let gc delete live data: gc keeps every store entry an index names, and a run
// that finds a result through the index writes the missing record back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { collectGarbage } from '../../src/engine/gc.js';
import { Store } from '../../src/engine/store.js';
import { pipelineKey, storePath } from '../../src/engine/workspace.js';
import { dropRecord } from './record-files.js';

function pipeline(rig: Rig): ReturnType<typeof pipelineOf> {
  return pipelineOf(rig.dir, {
    make: { step: 'command', with: { run: 'echo made > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } } },
    use: {
      step: 'command',
      with: { run: 'cat ${{ nodes.make.outputs.out }} > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } },
    },
  });
}

test('a lost record: gc keeps the store entry the index names, and the next run writes the record back', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipeline(rig);
  assert.equal((await rig.run(p)).status, 'succeeded');
  const index = new Store(rig.ws).readIndex(pipelineKey(p.file));
  const made = index!.nodes['make']!;
  const entry = storePath(rig.ws, made.outputs.digest);
  dropRecord(rig.ws, made.fingerprint);
  assert.equal(new Store(rig.ws).readRecord(made.fingerprint), undefined);

  // gc first: the index alone must protect the entry.
  const gc = await collectGarbage(rig.ws);
  assert.ok(gc.ok);
  assert.ok(existsSync(entry), 'gc deleted a store entry the index names');
  assert.equal(readFileSync(`${entry}/out.txt`, 'utf8'), 'made\n');

  // A run reuses it through the index and repairs the record.
  const again = await rig.run(p);
  assert.deepEqual(again.counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });
  assert.ok(new Store(rig.ws).readRecord(made.fingerprint), 'the run did not write the record back');
  const gc2 = await collectGarbage(rig.ws);
  assert.ok(gc2.ok);
  assert.ok(existsSync(entry));
  assert.deepEqual((await rig.run(p)).counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });
});

test("a killed run's staging folder holding a link loop and a link out of the workspace: gc removes it, counting neither", async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  assert.equal((await rig.run(pipeline(rig))).status, 'succeeded');
  // What a step killed before its commit leaves (links a commit would refuse).
  const left = join(rig.ws.staging, 'killed-attempt', 'd');
  mkdirSync(left, { recursive: true });
  writeFileSync(join(left, 'f'), 'x'.repeat(10));
  symlinkSync('..', join(left, 'loop'));
  const outside = join(rig.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'keep.txt'), 'y'.repeat(1000));
  symlinkSync(outside, join(left, 'out'));
  const dry = await collectGarbage(rig.ws, { dryRun: true });
  assert.ok(dry.ok);
  assert.ok(existsSync(left));
  const gc = await collectGarbage(rig.ws);
  assert.ok(gc.ok);
  assert.ok(!existsSync(join(rig.ws.staging, 'killed-attempt')));
  assert.ok(gc.value.freedBytes < 1000, `counted bytes outside the workspace: ${gc.value.freedBytes}`);
  assert.equal(readFileSync(join(outside, 'keep.txt'), 'utf8'), 'y'.repeat(1000));
});
