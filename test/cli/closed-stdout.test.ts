// A reader that goes away (`moe run … | head`) does not end moe with a stack trace: the run goes on to
// its end and exit status, its output dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commandNode, helloPipeline, moeAsync, tempDir, writePipeline } from './helpers.js';

test('moe run whose stdout is closed before it prints runs every node and exits 0, no stack trace', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const more = ['b', 'c', 'd']
    .map((id) => commandNode(id, `sleep 0.1; echo ${id} > "$MOE_OUT/${id}.txt"`, { [id]: `${id}.txt` }))
    .join('');
  const file = writePipeline(dir, helloPipeline('closed-stdout', more));
  const { child, result } = moeAsync(['run', file, '--jobs', '1'], dir);
  // The reading end goes before moe's first line: every write moe makes to stdout fails with EPIPE.
  child.stdout?.destroy();
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Error|at /);
  assert.equal(readdirSync(join(dir, '.moe', 'store')).length, 4, 'all four nodes committed');
});
