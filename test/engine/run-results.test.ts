// What a run keeps of each node's result (src/engine/run-results.ts): whole until every node that reads
// it has finished, then its fingerprint, read back from the record log when a step asks for it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeRecord } from '../../src/engine/records.js';
import { RunResults } from '../../src/engine/run-results.js';
import type { Digest, NodeId } from '../../src/util/brand.js';

const id = (s: string): NodeId => s as NodeId;

function record(node: string): NodeRecord {
  return {
    format: 1,
    fingerprint: node.repeat(64).slice(0, 64) as Digest,
    node,
    pipeline: 'p',
    fields: { step: 'command', stepVersion: '1', with: {}, params: {}, inputs: {}, upstream: {}, env: {} },
    outputs: { digest: `d${node}` as Digest, paths: { out: 'out.txt' }, stamp: 's' },
    finishedAt: '2026-12-05T00:00:00.000Z',
    durationMs: 5,
  };
}

test('a result is kept whole until its last reader finishes, then read back by its fingerprint', () => {
  const log = new Map(['a', 'b', 'c'].map((n) => [record(n).fingerprint, record(n)]));
  const readBack: string[] = [];
  const results = new RunResults((fp) => (readBack.push(fp), log.get(fp)));
  // a → b, a → c, b → c
  results.expectReader([id('a')]);
  results.expectReader([id('a'), id('b')]);
  results.commit(id('a'), record('a'));
  results.commit(id('b'), record('b'));
  results.finished([id('a')]);
  assert.equal(typeof results.entries().get(id('a')), 'object', 'c has still to read a');
  results.commit(id('c'), record('c'));
  results.finished([id('a'), id('b')]);
  assert.equal(results.entries().get(id('a')), record('a').fingerprint);
  assert.equal(results.entries().get(id('b')), record('b').fingerprint);
  assert.deepEqual([...results.held().keys()], ['c'], 'the final node, whole');
  assert.equal(results.get(id('a'))?.outputs.digest, 'da');
  assert.deepEqual(readBack, [record('a').fingerprint]);
  assert.ok(results.has(id('b')));
  // What the run keeps of a record it committed leaves the stamp and the fingerprint's fields out.
  assert.deepEqual(results.held().get(id('c'))?.outputs, { digest: 'dc', paths: { out: 'out.txt' } });
});

test('a result taken from an earlier run stays as read', () => {
  const results = new RunResults(() => undefined);
  const earlier = record('a');
  results.expectReader([id('a')]);
  results.take(id('a'), earlier);
  results.finished([id('a')]);
  assert.equal(results.entries().get(id('a')), earlier);
  assert.equal(results.get(id('a')), earlier);
});
