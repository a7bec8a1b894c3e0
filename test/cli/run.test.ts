import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  helloPipeline,
  journalEvents,
  moe,
  moeAsync,
  runJsonLines,
  tempDir,
  waitFor,
  writePipeline,
} from './helpers.js';

const PIPELINE = helloPipeline(
  'cli-test',
  `  b:
    step: command
    with:
      run: wc -c < \${{ nodes.a.outputs.a }} > "$MOE_OUT/b.txt"
      outputs: { b: b.txt }
  c:
    step: command
    with:
      run: cat \${{ nodes.b.outputs.b }} \${{ nodes.a.outputs.a }} > "$MOE_OUT/c.txt"
      outputs: { c: c.txt }
`,
);

test('moe run runs, a rerun is fully cached, and plan explains a changed parameter', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const first = moe(['run', 'p.yaml'], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /succeeded: 3 ran, 0 cached/);
  const second = moe(['run', 'p.yaml', '--json'], dir);
  assert.equal(second.code, 0, second.stderr);
  const { events, summary } = runJsonLines(second.stdout);
  assert.deepEqual(
    events.map((e) => e.type),
    ['run-start', 'node-cached', 'node-cached', 'node-cached', 'run-end'],
  );
  assert.equal(summary.status, 'succeeded');
  assert.deepEqual(summary.counts, { cached: 3, ran: 0, failed: 0, skipped: 0 });
  // Nothing ran, so nothing left a log: the run has its journal and no log folder.
  const runId = (summary as unknown as { runId: string }).runId;
  assert.ok(existsSync(join(dir, '.moe', 'runs', `${runId}.jsonl`)));
  assert.equal(existsSync(join(dir, '.moe', 'runs', runId)), false);

  const plan = moe(['plan', 'p.yaml', '--param', 'word=hallo'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /will run\s+a\s+params\.word "hello" → "hallo"/);
  assert.match(plan.stdout, /blocked\s+b\s+waits for a/);

  // Same length word: b's output is byte-identical, so b is rerun but c only reruns for a's change.
  const third = moe(['run', 'p.yaml', '--param', 'word=hallo'], dir);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /done b in .* \(outputs unchanged\)/);
  const status = moe(['status', 'p.yaml', '--json'], dir);
  const report = JSON.parse(status.stdout) as { status: string; nodes: { node: string; state: string }[] };
  assert.equal(report.status, 'succeeded');
  assert.deepEqual(
    report.nodes.map((n) => n.state),
    ['done', 'done', 'done'],
  );
});

test('an invalid pipeline prints diagnostics with file:line:col and exits 2, no stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(
    dir,
    PIPELINE.replace('step: command\n    with:\n      run: wc', 'step: comand\n    with:\n      run: wc'),
  );
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /p\.yaml:\d+:\d+: error: .*comand/);
  assert.doesNotMatch(r.stderr, /\s+at .*\.js:\d+/);
  const missing = moe(['run', 'nope.yaml'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml: no such file/);
});

test('a failing node exits 1 and names its log file; its output tail is shown', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE.replace('wc -c <', 'echo "disk on fire" >&2; exit 4; wc -c <'));
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /✗ b failed: command exited with code 4: disk on fire/);
  const log = /log: (\S+)/.exec(r.stderr)?.[1];
  assert.ok(log && existsSync(join(dir, log)), `log file ${log} exists`);
  assert.match(readFileSync(join(dir, log), 'utf8'), /disk on fire/);
  const status = moe(['status', 'p.yaml'], dir);
  assert.match(status.stdout, /failed\s+b/);
  assert.match(status.stdout, /skipped\s+c/);
});

test('Ctrl-C (SIGINT) aborts the running step, exits 130, and a rerun completes', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE.replace('wc -c <', 'if [ ! -f go ]; then sleep 30; fi; wc -c <'));
  const run = moeAsync(['run', 'p.yaml'], dir);
  const started = Date.now();
  await waitFor(() =>
    journalEvents(join(dir, '.moe')).some((e) => e.type === 'node-start' && e.node === 'b'),
  );
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 130, r.stderr);
  assert.ok(Date.now() - started < 20_000, 'stopped promptly');
  assert.match(r.stderr, /interrupted: run the same command again to resume/);
  writeFileSync(join(dir, 'go'), '');
  const again = moe(['run', 'p.yaml'], dir);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /succeeded: 2 ran, 1 cached/);
});

test('moe run --json streams one JSON object per event as it happens, then the summary', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE.replace('wc -c <', 'while [ ! -f go ]; do sleep 0.05; done; exit 4; wc -c <'));
  const run = moeAsync(['run', 'p.yaml', '--json'], dir);
  let stdout = '';
  run.child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  // b's start is on stdout while b still runs: the events are not held back until the end.
  await waitFor(() => /"type":"node-start","node":"b"/.test(stdout));
  writeFileSync(join(dir, 'go'), '');
  const r = await run.result;
  assert.equal(r.code, 1, r.stderr);
  const { events, summary } = runJsonLines(r.stdout);
  assert.deepEqual(
    events.filter((e) => e.type !== 'node-log').map((e) => [e.type, e.node]),
    [
      ['run-start', undefined],
      ['node-start', 'a'],
      ['node-done', 'a'],
      ['node-start', 'b'],
      ['node-failed', 'b'],
      ['node-skipped', 'c'],
      ['run-end', undefined],
    ],
  );
  assert.equal(summary.status, 'failed');
  assert.deepEqual(summary.counts, { cached: 0, ran: 1, failed: 1, skipped: 1 });
  const invalid = moe(['run', 'p.yaml', '--only', 'nope', '--json'], dir);
  assert.equal(invalid.code, 2);
  assert.equal(invalid.stdout.trimEnd().split('\n').length, 1, 'an error is one NDJSON line');
  assert.match(invalid.stdout, /^\{"error":\{"message":"--only nope: no node named/);
});
