// A plugin step whose run() never settles and ignores its signal: moe used to exit silently with Node's
// code 13 (nothing else kept the event loop alive), leaving the run "running". The run now waits for it,
// and once the node is aborted (its timeout, Ctrl-C) it gives the step a grace to stop, then fails it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { moe, moeAsync, tempDir } from './helpers.js';

const PLUGIN = `export const steps = [{
  name: 'x.hang', version: '1', withSchema: { type: 'object' },
  outputs: () => ({ o: 'o.txt' }),
  run: () => new Promise(() => {}),
}];
`;

function project(timeout: string): { dir: string; cleanup: () => void } {
  const t = tempDir();
  mkdirSync(join(t.dir, 'plugins'));
  writeFileSync(join(t.dir, 'plugins', 'hang.mjs'), PLUGIN);
  writeFileSync(
    join(t.dir, 'p.yaml'),
    `version: 1\nnodes:\n  a:\n    step: x.hang\n${timeout}    with: {}\n`,
  );
  return t;
}

test('a step that never settles and ignores its timeout fails the node once the grace is over', (t) => {
  const { dir, cleanup } = project('    timeout: 1s\n');
  t.after(cleanup);
  const r = moe(['run', 'p.yaml'], dir, { MOE_KILL_GRACE_MS: '100' });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr + r.stdout, /a failed: timed out after 1s/);
  assert.match(r.stderr + r.stdout, /did not stop within .* of being aborted/);
  assert.match(moe(['status', 'p.yaml'], dir).stdout, /failed/);
});

test('without a timeout the run waits for it (no silent exit) and Ctrl-C still ends it', async (t) => {
  const { dir, cleanup } = project('');
  t.after(cleanup);
  const { child, result } = moeAsync(['run', 'p.yaml'], dir, { MOE_KILL_GRACE_MS: '100' });
  let exited = false;
  child.on('exit', () => (exited = true));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(exited, false, 'moe is still waiting for the step');
  child.kill('SIGINT');
  const r = await result;
  assert.notEqual(r.code, 0);
  assert.notEqual(r.code, 13);
  assert.match(r.stderr + r.stdout, /stopped a: interrupted/);
});
