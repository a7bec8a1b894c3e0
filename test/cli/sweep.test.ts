// `moe run --sweep` and `sweep:`: shared nodes run once, each variant's own nodes once per variant;
// a second run runs nothing, a new value runs only its variant, a removed one runs nothing; a variant's
// nodes have the fingerprints of a plain run with the same parameters; kill -9 then rerun resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  journalEvents,
  moe,
  moeAsync,
  runJsonLines,
  sweepChain,
  tempDir,
  waitFor,
  writePipeline,
} from './helpers.js';

const PIPELINE = `version: 1
name: sw
params:
  word: hi
  n: 1
  pause: 0
sweep:
  n: [1, 2]
nodes:
${sweepChain('after', true)}`;

interface Line {
  type: string;
  node?: string;
  fingerprint?: string;
  sweep?: unknown;
}

function run(
  dir: string,
  args: readonly string[],
): { ran: string[]; cached: string[]; lines: Line[]; counts: Record<string, number> } {
  const r = moe(['run', 'p.yaml', '--json', ...args], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const { events, summary } = runJsonLines(r.stdout);
  const lines = events as Line[];
  const of = (type: string) => lines.filter((e) => e.type === type).map((e) => e.node ?? '');
  return { ran: of('node-done'), cached: of('node-cached'), lines, counts: summary.counts };
}

test('a sweep runs shared nodes once and each variant once; reruns, added and removed values', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);

  const plan = moe(['plan', 'p.yaml', '--sweep', 'n=1,2,3'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /^sweep: 3 variants of n \(1, 2, 3\)$/m);
  assert.match(plan.stdout, /^will run +shared +never run +\(shared by 3 variants\)$/m);
  assert.equal(plan.stdout.match(/shared/g)?.length, 2, 'the shared node is listed once');
  const planJson = JSON.parse(moe(['plan', 'p.yaml', '--sweep', 'n=1,2,3', '--json'], dir).stdout) as {
    nodes: { node: string; variants: string[] }[];
  };
  assert.deepEqual(
    planJson.nodes.map((n) => [n.node, n.variants.join(' ')]),
    [
      ['shared', 'n=1 n=2 n=3'],
      ['own[n=1]', 'n=1'],
      ['own[n=2]', 'n=2'],
      ['own[n=3]', 'n=3'],
      ['after[n=1]', 'n=1'],
      ['after[n=2]', 'n=2'],
      ['after[n=3]', 'n=3'],
    ],
  );

  const first = run(dir, ['--sweep', 'n=1,2,3']);
  assert.deepEqual(first.ran.sort(), [
    'after[n=1]',
    'after[n=2]',
    'after[n=3]',
    'own[n=1]',
    'own[n=2]',
    'own[n=3]',
    'shared',
  ]);
  assert.equal(first.counts['ran'], 7, 'the shared node counts once');
  assert.deepEqual(first.lines[0]?.sweep, { axes: ['n'], variants: ['n=1', 'n=2', 'n=3'] });

  const again = run(dir, ['--sweep', 'n=1,2,3']);
  assert.deepEqual(again.ran, [], 'a second identical sweep runs nothing');
  assert.equal(again.counts['cached'], 7);

  const added = run(dir, ['--sweep', 'n=1,2,3,4']);
  assert.deepEqual(added.ran.sort(), ['after[n=4]', 'own[n=4]'], 'a new value runs only its variant');

  const removed = run(dir, ['--sweep', 'n=2,3']);
  assert.deepEqual(removed.ran, [], 'removing a value runs nothing');

  // The file's own sweep (n: [1, 2]) is the default.
  assert.deepEqual(run(dir, []).ran, []);

  const status = moe(['status', 'p.yaml'], dir);
  assert.match(status.stdout, /sweep of n, 2 variants: n=1 \| n=2/);

  // A variant's nodes fingerprint as the plain run with the same value: nothing variant-specific leaks.
  const fp = (lines: Line[], node: string) => lines.find((e) => e.node === node)?.fingerprint;
  const plain = run(dir, ['--param', 'n=2']);
  assert.deepEqual(plain.ran, [], 'a plain run with a swept value reuses that variant');
  assert.equal(fp(plain.lines, 'own'), fp(first.lines, 'own[n=2]'));
  assert.equal(fp(plain.lines, 'shared'), fp(first.lines, 'shared'));
});

test('--sweep errors name the flag and exit 2', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const r = moe(['run', 'p.yaml', '--sweep', 'n=1,x'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--sweep n=1,x: expected a number \(the default is 1\), got `x`/);
  const unknown = moe(['plan', 'p.yaml', '--sweep', 'm=1'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--sweep m: the pipeline has no parameter `m`/);
});

test('kill -9 in the middle of a sweep, then the same command: every variant completes, nothing runs twice', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const args = ['run', 'p.yaml', '--sweep', 'n=1,2,3', '--param', 'pause=0.3', '--jobs', '2'];
  const killed = moeAsync(args, dir);
  const ws = join(dir, '.moe');
  await waitFor(() => journalEvents(ws).some((e) => e.type === 'node-done' && e.node?.startsWith('own[')));
  killed.child.kill('SIGKILL');
  await killed.result;
  const before = journalEvents(ws)
    .filter((e) => e.type === 'node-done')
    .map((e) => e.node);
  assert.ok(before.length < 7, 'the sweep was stopped before it finished');

  const rerun = run(dir, ['--sweep', 'n=1,2,3', '--param', 'pause=0.3', '--jobs', '2']);
  for (const node of before)
    assert.ok(rerun.cached.includes(node ?? ''), `${node} finished before the kill and is reused`);
  const done = journalEvents(ws)
    .filter((e) => e.type === 'node-done')
    .map((e) => e.node ?? '');
  assert.deepEqual([...done].sort(), [...new Set(done)].sort(), 'no node ran twice');
  // A node the killed run committed just before the kill may lack its node-done line (the journal is
  // written after the commit); the rerun then reuses it, as it should.
  assert.equal(new Set([...done, ...rerun.cached]).size, 7, 'every variant completed');
  assert.equal((rerun.counts['ran'] ?? 0) + (rerun.counts['cached'] ?? 0), 7);
});
