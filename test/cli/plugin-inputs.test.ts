// A plugin step whose inputs() returns a string, not a list: the run used to end "failed" with no node
// failed and no reason (the exception while deciding the node was dropped by the scheduler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

test('a step that logs an object or reports a progress message that is not a string is not failed for it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'talk.mjs'),
    `import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export const steps = [{ name: 'x.talk', version: '1', withSchema: { type: 'object' }, outputs: () => ({ o: 'o.txt' }),
  run: async (ctx) => {
    ctx.log.info({ loss: 0.5 });
    ctx.log.warn(42);
    ctx.progress({ done: 1, total: 2, message: 7 });
    await writeFile(join(ctx.outDir, 'o.txt'), 'x');
    return {};
  } }];\n`,
  );
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\nnodes:\n  a:\n    step: x.talk\n    with: {}\n');
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const runs = join(dir, '.moe', 'runs');
  const log = readdirSync(runs)
    .filter((n) => /^\d{8}T\d{6}Z-\d+$/.test(n))
    .map((n) => readFileSync(join(runs, n, 'a.log'), 'utf8'))
    .join('');
  assert.match(log, /\{"loss":0\.5\}/);
  assert.match(log, /42/);
});
