// `moe status` as a person reads it: rows without trailing spaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandNode, helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = helloPipeline(
  'stat',
  commandNode('b', 'cat ${{ nodes.a.outputs.a }} > "$MOE_OUT/b.txt"', { b: 'b.txt' }) +
    commandNode('c', 'exit 3', { x: 'x' }) +
    commandNode('d', 'cat ${{ nodes.c.outputs.x }}', {}),
);

test('moe status rows end without padding, whatever their state', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml', '--keep-going'], dir).code, 1);
  assert.equal(moe(['run', 'p.yaml', '--keep-going'], dir).code, 1);
  const status = moe(['status', 'p.yaml'], dir);
  assert.match(status.stdout, /^cached +a$/m, status.stdout + status.stderr);
  assert.match(status.stdout, /^failed +c /m);
  assert.match(status.stdout, /^skipped +d +upstream c failed$/m);
  const padded = status.stdout.split('\n').filter((l) => l !== l.trimEnd());
  assert.deepEqual(padded, []);
});
