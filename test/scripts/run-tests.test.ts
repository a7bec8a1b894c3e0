// scripts/run-tests.js gives the tests a temporary folder of their own and removes it when they pass, so a
// test run leaves nothing in the machine's /tmp (65 test files make folders there, not all remove them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempFolder } from '../temp.js';

const root = new URL('../..', import.meta.url).pathname;

/** Runs the probe test alone through the runner, with TMPDIR set to `tmp`. */
function runProbe(tmp: string, env: Record<string, string> = {}): { status: number | null; stderr: string } {
  // Without the outer test runner's marker, which would make the inner one report to it instead of running.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
  const r = spawnSync(
    process.execPath,
    [join(root, 'scripts', 'run-tests.js'), 'test/scripts/tmpdir-probe'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...outer, TMPDIR: tmp, MOE_PROBE_REPORT: join(tmp, 'seen'), ...env },
    },
  );
  return { status: r.status, stderr: r.stderr };
}

test('the tests write their temporary files in a folder of their own, removed after a passing run', (t) => {
  const tmp = tempFolder(t);
  const r = runProbe(tmp);
  assert.equal(r.status, 0, r.stderr);
  // The probe saw a TMPDIR inside the caller's, and what it left there is gone with the folder.
  const seen = readFileSync(join(tmp, 'seen'), 'utf8');
  assert.ok(seen.startsWith(join(tmp, 'moe-tests-')), seen);
  assert.equal(existsSync(seen), false);
  assert.deepEqual(readdirSync(tmp), ['seen']);
});

test('with MOE_TEST_KEEP_TMP=1 the folder is kept and named', (t) => {
  const tmp = tempFolder(t);
  const r = runProbe(tmp, { MOE_TEST_KEEP_TMP: '1' });
  assert.equal(r.status, 0, r.stderr);
  const seen = readFileSync(join(tmp, 'seen'), 'utf8');
  assert.match(r.stderr, /the tests' temporary files are in /);
  assert.ok(r.stderr.includes(seen));
  assert.ok(existsSync(join(seen, 'left-behind.txt')));
});
