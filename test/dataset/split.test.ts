import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits } from '../../src/steps/dataset/split.js';
import { parseCsv } from '../../src/steps/dataset/csv.js';

const ids = Array.from({ length: 400 }, (_, i) => `item-${i}`);

test('the split is a function of ids and seed, not of order', () => {
  const a = assignSplits(ids, { fraction: 0.2 }, 3);
  const b = assignSplits([...ids].reverse(), { fraction: 0.2 }, 3);
  assert.deepEqual([...a].sort(), [...b].sort());
  const held = [...a.values()].filter((s) => s === 'eval').length;
  assert.ok(held > 50 && held < 110, `about 20% held out, got ${held}`);
  assert.notDeepEqual(assignSplits(ids, { fraction: 0.2 }, 4), a);
});

test('fraction: adding items never moves an existing item between splits', () => {
  const a = assignSplits(ids.slice(0, 200), { fraction: 0.25 }, 0);
  const b = assignSplits(ids, { fraction: 0.25 }, 0);
  for (const [id, split] of a) assert.equal(b.get(id), split);
});

test('count: exactly that many held out', () => {
  const s = assignSplits(ids, { count: 17 }, 0);
  assert.equal([...s.values()].filter((v) => v === 'eval').length, 17);
  assert.deepEqual(assignSplits([...ids].reverse(), { count: 17 }, 0), new Map([...s].reverse()));
});

test('CSV: quotes, doubled quotes, newlines in fields, CRLF, BOM; an unclosed quote is an error', () => {
  const r = parseCsv('\ufeffa,b\r\n"x, y","he said ""hi"""\n"multi\nline",z\n\n');
  assert.deepEqual(r, {
    ok: true,
    value: [
      ['a', 'b'],
      ['x, y', 'he said "hi"'],
      ['multi\nline', 'z'],
    ],
  });
  assert.deepEqual(parseCsv('a\n"open'), { ok: false, error: 'line 2: a quoted field is never closed' });
});
