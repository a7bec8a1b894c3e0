// Stored outputs are read-only and checked on every use: an entry changed after its commit (truncated,
// overwritten) is never reused, plan and run say why its node reruns, and `gc --verify` re-hashes for
// changes that kept size and time. Real command nodes and real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rig, pipelineOf, resolveRefs } from './rig.js';
import { collectGarbage } from '../../src/engine/gc.js';
import { InputDigester } from '../../src/engine/input-digests.js';
import { planPipeline } from '../../src/engine/plan.js';
import { recordSource } from '../../src/engine/record-source.js';
import { listTree } from '../../src/engine/hashing.js';
import { stampAt, Store, treeStamp } from '../../src/engine/store.js';
import { pipelineKey, storePath } from '../../src/engine/workspace.js';
import { zeroRecord } from './record-files.js';
import type { Pipeline } from '../../src/pipeline/types.js';

function pipeline(rig: Rig): Pipeline {
  return pipelineOf(rig.dir, {
    make: {
      step: 'command',
      with: { run: 'printf "0123456789" > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } },
    },
    use: {
      step: 'command',
      with: { run: 'cat ${{ nodes.make.outputs.out }} > "$MOE_OUT/copy.txt"', outputs: { out: 'copy.txt' } },
    },
  });
}

function stored(rig: Rig, p: Pipeline, node: string, file: string): string {
  const index = new Store(rig.ws).readIndex(pipelineKey(p.file));
  return join(storePath(rig.ws, index!.nodes[node]!.outputs.digest), file);
}

/** `moe plan`'s answer, node by node. */
async function planOf(rig: Rig, p: Pipeline) {
  const store = new Store(rig.ws);
  const entries = await planPipeline(
    {
      pipeline: p,
      steps: rig.registry,
      resolve: resolveRefs,
      env: {},
      digester: new InputDigester(rig.ws.statCache),
    },
    recordSource(store, store.readIndex(pipelineKey(p.file))),
    { selected: new Set(p.order), forced: new Set() },
  );
  return Object.fromEntries(entries.map((e) => [e.node, e]));
}

test('stored files are read-only; a truncated one is noticed by plan and run, rerun, and never copied forward', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipeline(rig);
  assert.equal((await rig.run(p)).status, 'succeeded');
  const made = stored(rig, p, 'make', 'out.txt');
  assert.equal(statSync(made).mode & 0o222, 0, 'a stored file is writable');

  truncateSync(made, 3);
  const plan = await planOf(rig, p);
  assert.equal(plan['make']?.status, 'run');
  assert.match(
    plan['make']!.reasons[0]!,
    /stored outputs changed after their commit \(store\/[0-9a-f]{12}…: out\.txt changed\)/,
  );

  // Forcing only the dependant must not copy the truncated bytes forward.
  const summary = await rig.run(p, { force: ['use'] });
  assert.equal(summary.status, 'succeeded');
  const start = rig.events.find((e) => e.type === 'node-start' && e.node === 'make');
  assert.ok(start && start.type === 'node-start');
  assert.match(start.reasons.join(), /stored outputs changed after their commit/);
  assert.equal(readFileSync(stored(rig, p, 'use', 'copy.txt'), 'utf8'), '0123456789');
  assert.equal(readFileSync(stored(rig, p, 'make', 'out.txt'), 'utf8'), '0123456789');
  assert.deepEqual((await rig.run(p)).counts, { cached: 2, ran: 0, failed: 0, skipped: 0 });
});

test('a byte overwritten in place is noticed (its time changed); one hidden by resetting the time is found by gc --verify', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipeline(rig);
  await rig.run(p);
  const copy = stored(rig, p, 'use', 'copy.txt');
  const stamp = rig.write('stamp', '');
  spawnSync('touch', ['-r', copy, stamp]);
  writeFileSync(copy, 'X123456789');
  assert.equal((await planOf(rig, p))['use']?.status, 'run');

  // Same size, and the time put back as it was: the cheap check cannot see it.
  spawnSync('touch', ['-r', stamp, copy]);
  assert.equal((await planOf(rig, p))['use']?.status, 'cached');
  const gc = await collectGarbage(rig.ws, { verify: true });
  assert.ok(gc.ok);
  assert.equal(gc.value.verified?.checked, readdirSync(rig.ws.store).length + 1);
  assert.equal(gc.value.verified?.changed.length, 1);
  const plan = await planOf(rig, p);
  assert.equal(plan['use']?.status, 'run');
  assert.equal(plan['make']?.status, 'cached');
  const again = await rig.run(p);
  assert.deepEqual(again.counts, { cached: 1, ran: 1, failed: 0, skipped: 0 });
  assert.equal(readFileSync(stored(rig, p, 'use', 'copy.txt'), 'utf8'), '0123456789');
});

test('what a power loss can leave (a record read back as zeros, an empty index, an emptied output) is rerun, never reused', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const p = pipeline(rig);
  await rig.run(p);
  const index = new Store(rig.ws).readIndex(pipelineKey(p.file))!;
  // `make`'s record line reads back as zeros and the index comes back empty; `use`'s stored output is
  // emptied. `use`'s record, written after `make`'s, survives.
  truncateSync(stored(rig, p, 'use', 'copy.txt'), 0);
  zeroRecord(rig.ws, index.nodes['make']!.fingerprint);
  assert.ok(new Store(rig.ws).readRecord(index.nodes['use']!.fingerprint));
  truncateSync(join(rig.ws.index, `${pipelineKey(p.file)}.json`), 0);
  const summary = await rig.run(p);
  assert.equal(summary.status, 'succeeded');
  // `make` reruns (no record), produces the same bytes, so `use` would be cached but for its emptied output.
  assert.deepEqual(summary.counts, { cached: 0, ran: 2, failed: 0, skipped: 0 });
  assert.equal(readFileSync(stored(rig, p, 'use', 'copy.txt'), 'utf8'), '0123456789');
});

test("a store entry's stamp read as it is walked equals the one taken at commit, and sees each change", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-stamp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Names listed out of order, a folder (empty and not), an executable, a link: all a stamp covers.
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  for (const [path, text] of [
    ['b.txt', 'bee'],
    ['a.txt', 'a'],
    ['sub/z.bin', 'zz'],
    ['sub/deeper/x', ''],
  ] as const)
    writeFileSync(join(dir, path), text);
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync('a.txt', join(dir, 'link'));
  const committed = treeStamp(listTree(dir));
  assert.equal(stampAt(dir), committed);
  writeFileSync(join(dir, 'sub', 'deeper', 'x'), 'now longer');
  assert.notEqual(stampAt(dir), committed, 'a file written');
  assert.equal(stampAt(dir), treeStamp(listTree(dir)));
  const rewritten = stampAt(dir);
  writeFileSync(join(dir, 'empty', 'new'), '');
  assert.notEqual(stampAt(dir), rewritten, 'a file added in a folder');
  assert.throws(() => stampAt(join(dir, 'gone')), { code: 'ENOENT' });
});
