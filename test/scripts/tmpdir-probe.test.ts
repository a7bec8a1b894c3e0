// The probe test/scripts/run-tests.test.ts runs through scripts/run-tests.js: it leaves a file behind in
// os.tmpdir(), as careless tests do, and reports which folder that was. Run on its own, as part of the
// whole suite, it reports nothing and only checks that the runner gave it a folder of its own.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';

test('os.tmpdir() is a folder the test runner made for this run', () => {
  const dir = tmpdir();
  assert.match(basename(dir), /^moe-tests-/);
  writeFileSync(join(mkdtempSync(join(dir, 'probe-')), 'x'), 'x');
  writeFileSync(join(dir, 'left-behind.txt'), 'left behind');
  const report = process.env['MOE_PROBE_REPORT'];
  if (report !== undefined) writeFileSync(report, dir);
});
