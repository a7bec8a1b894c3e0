// A pipeline index edited by hand or damaged on disk: `moe plan` and `moe run` say what is true of the
// nodes whose entries do not read (no stack trace, no "never run" for nodes that ran), and a run mends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandNode, helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = helloPipeline(
  'damaged',
  commandNode('b', 'cat ${{ nodes.a.outputs.a }} > "$MOE_OUT/b.txt"', { b: 'b.txt' }),
);

function indexFile(dir: string): string {
  const folder = join(dir, '.moe', 'index');
  return join(folder, readdirSync(folder)[0] as string);
}

test('an index entry that is not a whole record is left out: the plan reads the record log, no stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  const file = indexFile(dir);
  const index = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Record<string, Record<string, unknown>> };
  delete index.nodes['a']?.['outputs'];
  writeFileSync(file, JSON.stringify(index));
  const plan = moe(['plan', 'p.yaml'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.doesNotMatch(plan.stderr, /TypeError|at /);
  assert.match(plan.stdout, /^cached +a$/m);
  assert.match(plan.stdout, /^cached +b$/m);
});

test('with the index and the upstream record both unreadable, the node below is blocked, not "never run"', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  writeFileSync(indexFile(dir), 'not an index');
  const records = join(dir, '.moe', 'records');
  const segment = join(records, readdirSync(records).find((n) => n.endsWith('.jsonl')) as string);
  const lines = readFileSync(segment, 'utf8').split('\n');
  const a = lines.findIndex((l) => l.includes('"node":"a"'));
  lines[a] = (lines[a] as string).replace('"node":"a"', '"node":"a",,');
  writeFileSync(segment, lines.join('\n'));
  const plan = moe(['plan', 'p.yaml'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  const damaged = 'its last record in the pipeline index does not read \\(the index was damaged\\)';
  assert.match(plan.stdout, new RegExp(`^will run +a +${damaged}$`, 'm'));
  assert.match(plan.stdout, new RegExp(`^blocked +b +waits for a; ${damaged}$`, 'm'));
  assert.doesNotMatch(plan.stdout, /never run/);
  // What the plan promised: a reruns, b (its record intact in the log) is reused.
  const run = moe(['run', 'p.yaml'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /1 ran, 1 cached/);
  assert.match(moe(['plan', 'p.yaml'], dir).stdout, /^cached +a$/m);
});
