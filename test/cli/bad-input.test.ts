// What a user sees when the input or the machine is wrong: a message that says what to do, a non-zero
// exit code, no stack trace, and nothing written where it should not be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const STACK = /\s+at .*\.js:\d+|node:internal|Node\.js v\d/;

test('a workspace that cannot be created or written stops run and gc with what to do, not a stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('ws'));
  // A file where the workspace's folder would be: even root cannot create a folder under it (ENOTDIR).
  writeFileSync(join(dir, 'blocker'), 'not a folder\n');
  for (const command of ['run', 'gc']) {
    const r = moe([command, 'p.yaml', '--workspace', 'blocker/ws'], dir);
    assert.equal(r.code, 2, `moe ${command}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^cannot write to the workspace blocker\/ws \(ENOTDIR: .*\); make it writable, or choose another with --workspace DIR\n$/,
    );
    assert.doesNotMatch(r.stderr, STACK);
  }
  const json = moe(['run', 'p.yaml', '--workspace', 'blocker/ws', '--json'], dir);
  assert.equal(json.code, 2);
  assert.match(JSON.parse(json.stdout).error.message, /cannot write to the workspace blocker\/ws/);
  assert.ok(!existsSync(join(dir, '.moe')), 'nothing was written beside the pipeline');
});
