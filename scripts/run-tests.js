#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner, TypeScript loaded through tsx.
// Usage: node scripts/run-tests.js [filter ...]  (a filter is a substring of the test file path)
// The tests' temporary files go to one folder of their own (TMPDIR, which os.tmpdir() and the commands
// they start read), removed when every test passed, so a run leaves nothing behind in /tmp; after a
// failure, or with MOE_TEST_KEEP_TMP=1, it is kept and named on stderr for a look at what the tests left.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...walk(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const concurrency = process.env.MOE_TEST_CONCURRENCY ?? '2';
const scratch = mkdtempSync(join(tmpdir(), 'moe-tests-'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TMPDIR: scratch } },
);
const status = result.status ?? 1;
if (status === 0 && process.env.MOE_TEST_KEEP_TMP !== '1') rmSync(scratch, { recursive: true, force: true });
else console.error(`run-tests: the tests' temporary files are in ${scratch}`);
process.exit(status);
