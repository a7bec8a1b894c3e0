// A reader that goes away (`moe run … | head`) does not end moe with a stack trace: the run goes on to
// its end and exit status, its output dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MOE, commandNode, helloPipeline, moeAsync, tempDir, writePipeline } from './helpers.js';

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

test('moe run whose stdout is a full disk (/dev/full) runs every node, says so once, no stack trace', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const more = ['b', 'c']
    .map((id) => commandNode(id, `sleep 0.1; echo ${id} > "$MOE_OUT/${id}.txt"`, { [id]: `${id}.txt` }))
    .join('');
  const file = writePipeline(dir, helloPipeline('full-stdout', more));
  for (const args of [[], ['--json']]) {
    rmSync(join(dir, '.moe'), { recursive: true, force: true });
    // Every write moe makes to stdout fails with ENOSPC, as on a full disk (`moe run … > log`).
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [MOE, 'run', file, '--jobs', '1', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', full, 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    closeSync(full);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |node:internal/);
    assert.equal(r.stderr.match(/could not write to stdout \(ENOSPC/g)?.length, 1, r.stderr);
    assert.equal(readdirSync(join(dir, '.moe', 'store')).length, 3, 'all three nodes committed');
  }
});
