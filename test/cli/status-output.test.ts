// `moe status` as a person reads it: rows without trailing spaces, and the pipeline's last run found even
// when its `runs/latest-*` pointer was emptied or deleted (its journal is what counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandNode, helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = helloPipeline(
  'stat',
  commandNode('b', 'cat ${{ nodes.a.outputs.a }} > "$MOE_OUT/b.txt"', { b: 'b.txt' }) +
    commandNode('c', 'exit 3', { x: 'x' }) +
    commandNode('d', 'cat ${{ nodes.c.outputs.x }}', {}),
);

test('moe status rows end without padding, whatever their state', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml', '--keep-going'], dir).code, 1);
  assert.equal(moe(['run', 'p.yaml', '--keep-going'], dir).code, 1);
  const status = moe(['status', 'p.yaml'], dir);
  assert.match(status.stdout, /^cached +a$/m, status.stdout + status.stderr);
  assert.match(status.stdout, /^failed +c /m);
  assert.match(status.stdout, /^skipped +d +upstream c failed$/m);
  const padded = status.stdout.split('\n').filter((l) => l !== l.trimEnd());
  assert.deepEqual(padded, []);
});

test("moe status finds the pipeline's last run when runs/latest-* was emptied or deleted", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('first'));
  writePipeline(dir, helloPipeline('second'), 'q.yaml');
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  assert.equal(moe(['run', 'q.yaml'], dir).code, 0);
  const runs = join(dir, '.moe', 'runs');
  const pointers = readdirSync(runs).filter((n) => n.startsWith('latest-'));
  assert.equal(pointers.length, 2);
  for (const p of pointers) writeFileSync(join(runs, p), '');
  const emptied = moe(['status', 'p.yaml'], dir);
  assert.equal(emptied.code, 0, emptied.stderr);
  assert.match(
    emptied.stdout,
    /^first run \S+: succeeded/m,
    'the run of p.yaml, not the newer one of q.yaml',
  );
  for (const p of pointers) rmSync(join(runs, p));
  const deleted = moe(['status', 'q.yaml'], dir);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /^second run \S+: succeeded/m);
  // A pipeline that never ran here still has no run to show.
  writePipeline(dir, helloPipeline('third'), 'r.yaml');
  const none = moe(['status', 'r.yaml'], dir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no runs recorded in \.moe for r\.yaml/);
});

test('moe status with no run to show says what to do: name the pipeline (its workspace is beside it) or run it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'pipelines'));
  writePipeline(join(dir, 'pipelines'), helloPipeline('first'), 'p.yaml');
  assert.equal(moe(['run', 'pipelines/p.yaml'], dir).code, 0);
  // From the project's root, where no .moe is: the run is in pipelines/.moe.
  const here = moe(['status'], dir);
  assert.equal(here.code, 1);
  assert.match(
    here.stderr,
    /no runs recorded in \.moe; name the pipeline file \(moe status .*\) or the workspace \(--workspace DIR\)/,
  );
  assert.equal(moe(['status', 'pipelines/p.yaml'], dir).code, 0);
  writePipeline(join(dir, 'pipelines'), helloPipeline('second'), 'q.yaml');
  const never = moe(['status', 'pipelines/q.yaml'], dir);
  assert.equal(never.code, 1);
  assert.match(never.stderr, /for pipelines\/q\.yaml; moe run pipelines\/q\.yaml records one/);
});
