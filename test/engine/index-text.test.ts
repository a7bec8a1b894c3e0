// The pipeline index's text (src/engine/index-text.ts): one JSON object that any reader parses whole, a
// node's entry a line, which moe reads a line at a time; an index in another layout is parsed whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexText, readIndexText } from '../../src/engine/index-text.js';

function tempFile(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-index-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'index.json');
}

/** A record-like value with text that spans 64 KB blocks and multi-byte characters. */
const record = (i: number): Record<string, unknown> => ({
  fingerprint: i.toString(16).padStart(64, '0'),
  note: `é 😀 ${'x'.repeat(i % 97)} "quoted" \\ back\nslash`,
  n: i,
});

const ids = [
  'a',
  '__proto__',
  'base[strength=0.25]',
  'ü "q"',
  ...Array.from({ length: 2000 }, (_, i) => `n${i}`),
];
const nodes = Object.fromEntries(ids.map((id, i) => [id, record(i)]));
const head = { file: '/p/pipe line.yaml', pipeline: 'p' };

test('an index is written a node a line, reads back as JSON.parse reads it, and across 64 KB blocks', (t) => {
  const path = tempFile(t);
  writeFileSync(
    path,
    [
      ...indexText(
        head,
        ids.map((id) => [id, JSON.stringify(nodes[id])] as const),
      ),
    ].join(''),
  );
  const text = readFileSync(path, 'utf8');
  assert.ok(text.length > 4 * 65536, 'several blocks');
  assert.equal(
    text.split('\n').length,
    ids.length + 3,
    'the head, a line a node, the end and a last newline',
  );
  const whole = JSON.parse(text) as { nodes: Record<string, unknown> };
  assert.deepEqual(readIndexText(path), whole);
  const read = readIndexText(path) as { nodes: Record<string, unknown> };
  assert.ok(Object.hasOwn(read.nodes, '__proto__'), '__proto__ is a node, not the prototype');
  assert.deepEqual(Object.keys(read.nodes), ids);
});

test('an index in one line (written before it was a node a line) or edited by hand is parsed whole', (t) => {
  const path = tempFile(t);
  writeFileSync(path, JSON.stringify({ ...head, nodes }));
  assert.deepEqual(readIndexText(path), JSON.parse(readFileSync(path, 'utf8')));
  writeFileSync(path, `${JSON.stringify({ ...head, nodes: { a: record(1) } }, null, 2)}\n`);
  assert.deepEqual(readIndexText(path), { ...head, nodes: { a: record(1) } });
  writeFileSync(path, '');
  assert.equal(readIndexText(path), undefined);
  assert.throws(() => readIndexText(join(path, 'missing')));
});

test('a damaged line or a missing end is not JSON: read as nothing, as a whole parse reads it', (t) => {
  const path = tempFile(t);
  const good = [
    ...indexText(head, [
      ['a', JSON.stringify(record(1))],
      ['b', JSON.stringify(record(2))],
    ]),
  ].join('');
  for (const bad of [good.replace('"b":{', '"b":{,'), good.slice(0, good.lastIndexOf('}}')), `${good}{}\n`]) {
    writeFileSync(path, bad);
    assert.equal(readIndexText(path), undefined, JSON.stringify(bad.slice(-30)));
  }
});
