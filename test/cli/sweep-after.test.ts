// After a sweep, the plain pipeline and `moe status`: a plain plan explains its nodes against the sweep's
// variants (cached when one of them is the plain run, blocked or "params.n 1 → 5" otherwise, never
// "never run"), and `moe status` still shows the sweep after a later plain run.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { moe, sweepChain, tempDir, writePipeline } from './helpers.js';

const PIPELINE = `version: 1
name: after
params:
  word: hi
  n: 1
nodes:
${sweepChain('last')}`;

function ok(args: readonly string[], dir: string): string {
  const r = moe(args, dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

/** A folder holding PIPELINE in which the sweep n=1,2 has run; removed after the test. */
function afterSweep(t: TestContext): string {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  ok(['run', 'p.yaml', '--sweep', 'n=1,2'], dir);
  return dir;
}

test('a plain plan after a sweep explains its nodes by the variants that ran', (t) => {
  const dir = afterSweep(t);

  // The plain run (n=1) is the variant n=1: all cached.
  const same = ok(['plan', 'p.yaml'], dir);
  assert.match(same, /^0 will run, 3 cached$/m, same);

  // An upstream change: the plain nodes wait for it, as they would after a plain run.
  const changed = ok(['plan', 'p.yaml', '--param', 'word=yo'], dir);
  assert.doesNotMatch(changed, /never run/, changed);
  assert.match(changed, /^will run +shared +params\.word "hi" → "yo"$/m, changed);
  assert.match(changed, /^blocked +own +waits for shared$/m, changed);
  assert.match(changed, /^blocked +last +waits for own$/m, changed);

  // A value no variant had: what differs from the closest variant, and which one that is.
  const other = ok(['plan', 'p.yaml', '--param', 'n=5'], dir);
  assert.match(other, /^will run +own +params\.n 1 → 5; compared with own\[n=1\]$/m, other);

  // The sweep itself with an upstream change: its variant nodes wait, none is an error.
  const swept = ok(['plan', 'p.yaml', '--sweep', 'n=1,2', '--param', 'word=yo'], dir);
  assert.match(swept, /^blocked +last\[n=2\] +waits for own\[n=2\]$/m, swept);
  assert.doesNotMatch(swept, /error/, swept);
});

test('moe status shows the last run and, after a later plain run, the last sweep', (t) => {
  const dir = afterSweep(t);
  const right = ok(['status', 'p.yaml'], dir);
  assert.match(right, /sweep of n, 2 variants: n=1 \| n=2/);
  assert.doesNotMatch(right, /last sweep/, 'the last run is the sweep: shown once');

  ok(['run', 'p.yaml', '--param', 'n=5'], dir);
  const later = ok(['status', 'p.yaml'], dir);
  const [plain, sweep] = later.split(/^last sweep: /m);
  assert.ok(sweep !== undefined, later);
  assert.match(plain ?? '', /^after run \S+: succeeded/m);
  assert.match(plain ?? '', /^done +own /m, 'the last run: own ran for n=5');
  assert.doesNotMatch(plain ?? '', /sweep of/);
  assert.match(sweep, /^run \S+: succeeded/);
  assert.match(sweep, /sweep of n, 2 variants: n=1 \| n=2/);
  assert.match(sweep, /^done +own\[n=2\] /m);

  const json = JSON.parse(ok(['status', 'p.yaml', '--json'], dir)) as {
    nodes: { node: string }[];
    lastSweep?: { sweep: { variants: string[] }; nodes: { node: string; state: string }[] };
  };
  assert.deepEqual(
    json.nodes.map((n) => n.node),
    ['shared', 'own', 'last'],
  );
  assert.deepEqual(json.lastSweep?.sweep.variants, ['n=1', 'n=2']);
  assert.ok(json.lastSweep.nodes.some((n) => n.node === 'last[n=1]' && n.state === 'done'));
});
