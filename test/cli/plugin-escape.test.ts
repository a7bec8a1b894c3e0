// A plugin step whose code throws outside the promise its run() returns (in a timer, or a rejected promise
// nobody awaits) used to crash moe with Node's stack trace, leaving the run journal without its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { moe, tempDir } from './helpers.js';

const PLUGIN = `export const steps = [
  { name: 'x.timer', version: '1', withSchema: { type: 'object' }, outputs: () => ({}),
    run: async (ctx) => {
      setTimeout(() => { throw new Error('escaped from a timer'); }, 10);
      await new Promise((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    } },
  { name: 'x.rejected', version: '1', withSchema: { type: 'object' }, outputs: () => ({}),
    run: async (ctx) => {
      void Promise.reject(new Error('nobody awaited me'));
      await new Promise((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    } },
];
`;

for (const [step, message] of [
  ['x.timer', 'escaped from a timer'],
  ['x.rejected', 'nobody awaited me'],
] as const) {
  test(`${step}: an exception escaping a step stops the run with a message and exit code 1, not a crash`, (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(join(dir, 'plugins', 'esc.mjs'), PLUGIN);
    writeFileSync(join(dir, 'p.yaml'), `version: 1\nnodes:\n  a:\n    step: ${step}\n    with: {}\n`);
    const r = moe(['run', 'p.yaml'], dir, { MOE_KILL_GRACE_MS: '100' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /Node\.js v\d+/);
    assert.match(
      r.stderr,
      new RegExp(
        `error: uncaught exception: ${message} \\(at .*plugins/esc\\.mjs:\\d+:\\d+\\); stopping the run`,
      ),
    );
    assert.match(r.stdout + r.stderr, /stopped a: interrupted/);
  });
}
