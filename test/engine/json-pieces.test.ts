// Large JSON files (the pipeline index, the evaluation memo) are written in pieces (src/util/json-chunks.ts):
// the file is the same bytes JSON.stringify gives, without ever being one string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from '../../src/engine/store.js';
import { jsonPieces } from '../../src/util/json-chunks.js';

const record = (i: number): Record<string, unknown> => ({
  fingerprint: i.toString(16).padStart(64, '0'),
  outputs: { digest: `d${i}`, paths: ['out.txt'], stamp: [i, 1.5] },
  absent: undefined,
  text: `"quoted" \\ and \n ${'é'.repeat(i % 7)}`,
});

test('an index of 10,000 nodes is written in pieces that join to JSON.stringify of it', (t) => {
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) nodes[`n${i}[strength=0.${i % 3}]`] = record(i);
  const index = { file: '/p/dag.yaml', pipeline: 'dag', nodes };
  const pieces = [
    ...jsonPieces(nodes, { head: { file: index.file, pipeline: index.pipeline }, key: 'nodes' }),
  ];
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  assert.ok(Math.max(...pieces.map((p) => p.length)) < 200_000);
  assert.equal(pieces.join(''), JSON.stringify(index));

  const dir = mkdtempSync(join(tmpdir(), 'moe-pieces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  atomicWrite(join(dir, 'index.json'), jsonPieces(nodes, { head: { file: index.file }, key: 'nodes' }));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')), {
    file: index.file,
    nodes: JSON.parse(JSON.stringify(nodes)),
  });
  assert.deepEqual(readdirSync(dir), ['index.json'], 'no temporary file left');
});

test('empty and unwrapped objects read back as themselves', () => {
  assert.equal([...jsonPieces({})].join(''), '{}');
  assert.equal([...jsonPieces({}, { head: {}, key: 'nodes' })].join(''), '{"nodes":{}}');
  const memo = { a: { withJson: '{"run":"x"}', params: {}, inputs: [] }, b: undefined };
  assert.equal([...jsonPieces(memo)].join(''), JSON.stringify(memo));
});
