// A plugin step whose inputs() returns a string, not a list: the run used to end "failed" with no node
// failed and no reason (the exception while deciding the node was dropped by the scheduler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { moe, tempDir } from './helpers.js';

test("a step's inputs() that is not a list of paths fails the node with a reason", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'inp.mjs'),
    `export const steps = [{ name: 'x.inp', version: '1', withSchema: { type: 'object' },
  outputs: () => ({}), inputs: () => 'notes.txt', run: async () => ({}) }];\n`,
  );
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\nnodes:\n  a:\n    step: x.inp\n    with: {}\n');
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /1 failed/);
  assert.match(
    r.stdout + r.stderr,
    /a failed: step x\.inp listed its inputs as "notes\.txt", not a list of paths: its inputs\(\) must return an array of strings/,
  );
});
