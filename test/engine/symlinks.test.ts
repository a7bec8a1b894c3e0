// Symbolic links: an output that links out of its folder is refused (its target's content would not be
// part of the digest); a link inside the folder is kept. A link inside an input folder counts by what it
// points at. Real command nodes and real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { Store } from '../../src/engine/store.js';
import { pipelineKey, storePath } from '../../src/engine/workspace.js';

test('an output linking out of its folder fails the node with a clear message; a relative link inside is kept', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const outside = rig.write('outside/data.txt', 'first\n');
  const p = pipelineOf(rig.dir, {
    linked: {
      step: 'command',
      with: { run: `ln -s ${outside} "$MOE_OUT/data.txt"`, outputs: { data: 'data.txt' } },
    },
    climbing: {
      step: 'command',
      with: { run: 'mkdir "$MOE_OUT/d"; ln -s ../../x "$MOE_OUT/d/up"', outputs: { d: 'd' } },
    },
    inside: {
      step: 'command',
      with: {
        run: 'mkdir "$MOE_OUT/d"; echo hi > "$MOE_OUT/d/a"; ln -s d/a "$MOE_OUT/b"',
        outputs: { b: 'b' },
      },
    },
  });
  const summary = await rig.run(p, { keepGoing: true });
  const errors = Object.fromEntries(summary.failures.map((f) => [f.node, f.error]));
  assert.match(
    errors['linked'] ?? '',
    /output data\.txt → \/.*outside\/data\.txt: a symbolic link that is absolute or leaves the output folder; .*cp -L/,
  );
  assert.match(errors['climbing'] ?? '', /output d\/up → \.\.\/\.\.\/x: a symbolic link/);
  assert.equal(errors['inside'], undefined);
  const index = new Store(rig.ws).readIndex(pipelineKey(p.file));
  assert.equal(readlinkSync(join(storePath(rig.ws, index!.nodes['inside']!.outputs.digest), 'b')), 'd/a');
});

test('a link inside an input folder counts by its target: changing the target reruns the node', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const target = rig.write('elsewhere/words.txt', 'one\n');
  rig.write('data/keep.txt', 'k\n');
  symlinkSync(target, join(rig.dir, 'data', 'words.txt'));
  const p = pipelineOf(rig.dir, {
    read: {
      step: 'command',
      with: { run: 'cat data/words.txt > "$MOE_OUT/o"', inputs: ['data'], outputs: { o: 'o' } },
    },
  });
  assert.equal((await rig.run(p)).counts.ran, 1);
  assert.equal((await rig.run(p)).counts.cached, 1);
  writeFileSync(target, 'two\n');
  const again = await rig.run(p);
  assert.equal(again.counts.ran, 1, 'the changed link target went unseen');
  const start = rig.events.find((e) => e.type === 'node-start');
  assert.ok(start && start.type === 'node-start');
  assert.match(start.reasons.join(), /input data changed/);
});
