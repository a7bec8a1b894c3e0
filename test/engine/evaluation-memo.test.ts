// The evaluation memo (src/engine/evaluation-memo.ts): what a run adds goes to its spill file as it comes,
// not into memory, and the memo written back holds what was read and everything added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StaticEvaluation } from '../../src/engine/evaluate.js';
import { EvaluationMemo } from '../../src/engine/evaluation-memo.js';
import type { NodeId } from '../../src/util/brand.js';

const entry = (i: number): StaticEvaluation => ({
  withJson: JSON.stringify({ run: `echo ${i} é 😀 > "$MOE_OUT/out.txt"`, outputs: { out: 'out.txt' } }),
  params: i % 2 === 0 ? {} : { n: i },
  inputs: i % 3 === 0 ? [] : [`in-${i}.txt`],
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-memo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('what a run adds is spilled as it comes and written back whole with what was read', (t) => {
  const dir = tempDir(t);
  const spill = join(dir, 'tmp', 'memo.part');
  const memo = new EvaluationMemo({ old: entry(-1) }, spill);
  assert.equal(memo.dirty, false);
  const added = 3000;
  for (let i = 0; i < added; i++) memo.set(`n${i}` as NodeId, entry(i));
  assert.ok(memo.dirty);
  assert.ok(existsSync(spill), 'spilled before the end');
  // Spilled entries are not kept: a second evaluation of the node in this process works it out again.
  assert.equal(memo.get('n0' as NodeId), undefined);
  assert.deepEqual(memo.get('old' as NodeId), entry(-1));
  const written = JSON.parse([...memo.pieces()].join('')) as Record<string, StaticEvaluation>;
  assert.equal(Object.keys(written).length, added + 1);
  assert.deepEqual(written['old'], entry(-1));
  for (const i of [0, 1, 1234, added - 1]) assert.deepEqual(written[`n${i}`], entry(i));
  memo.close();
  assert.equal(existsSync(spill), false, 'the spill file is removed');
});

test('a memo that spilled nothing yet, or read nothing, still writes one JSON object', (t) => {
  const dir = tempDir(t);
  const few = new EvaluationMemo({}, join(dir, 'a.part'));
  few.set('a' as NodeId, entry(1));
  assert.deepEqual(JSON.parse([...few.pieces()].join('')), { a: entry(1) });
  const none = new EvaluationMemo({ b: entry(2) }, join(dir, 'b.part'));
  assert.deepEqual(JSON.parse([...none.pieces()].join('')), { b: entry(2) });
  // Without a spill file, what is added is kept and read back in this process.
  const kept = new EvaluationMemo();
  kept.set('c' as NodeId, entry(3));
  assert.deepEqual(kept.get('c' as NodeId), entry(3));
  assert.deepEqual(JSON.parse([...kept.pieces()].join('')), { c: entry(3) });
});

test('a spill file that cannot be written loses the memo, not the run', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), '');
  const memo = new EvaluationMemo({}, join(dir, 'file', 'memo.part'));
  for (let i = 0; i < 3000; i++) memo.set(`n${i}` as NodeId, entry(i));
  assert.equal(memo.dirty, false, 'not written back: it would be missing entries');
  memo.close();
});
