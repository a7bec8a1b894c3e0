// The evaluation memo (cache/evaluations): a rerun reuses each node's resolved `with` instead of
// resolving it again, and that never changes a fingerprint or hides a change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../src/engine/canonical.js';
import type { FingerprintRecord } from '../../src/engine/fingerprint.js';
import { fingerprintOf } from '../../src/engine/fingerprint.js';
import type { JsonValue } from '../../src/pipeline/types.js';
import type { Digest } from '../../src/util/brand.js';
import { helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = helloPipeline(
  'memo',
  `  b:
    step: command
    with:
      run: echo "\${{ env.MOE_MEMO_TEST }}" > "$MOE_OUT/b.txt"; cat \${{ nodes.a.outputs.a }} >> "$MOE_OUT/b.txt"
      outputs: { b: b.txt }
`,
);

interface PlanJson {
  nodes: { node: string; status: string; reasons: string[]; fingerprint?: string }[];
}

test('fingerprintOf hashes the canonical JSON of the whole record', () => {
  const record: FingerprintRecord = {
    step: 'command',
    stepVersion: '1',
    with: { run: 'echo "x"', outputs: { z: 'z.txt', a: 'a.txt' }, n: [1, 2.5, null, true] },
    params: { word: 'hello', n: 3 },
    inputs: { 'in.txt': 'sha256:aa' as Digest },
    upstream: { a: 'sha256:bb' as Digest },
    env: { HOME: null, USER: 'sha256:cc' as Digest },
  };
  const expected = createHash('sha256')
    .update('moe-fingerprint-v1\0')
    .update(canonicalJson(record as unknown as JsonValue))
    .digest('hex');
  assert.equal(fingerprintOf(record), expected);
  assert.equal(fingerprintOf(record, canonicalJson(record.with)), fingerprintOf(record));
});

test('a rerun reads the memo, plans exactly the same, and still sees parameter and env changes', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const env = { MOE_MEMO_TEST: 'one' };
  const run = moe(['run', 'p.yaml'], dir, env);
  assert.equal(run.code, 0, run.stderr);
  const memoDir = join(dir, '.moe', 'cache', 'evaluations');
  assert.equal(readdirSync(memoDir).length, 1, 'the memo is written');
  const scratch = join(dir, '.moe', 'tmp');
  const spilled = (existsSync(scratch) ? readdirSync(scratch) : []).filter((n) =>
    n.startsWith('evaluations-'),
  );
  assert.deepEqual(spilled, [], 'no spill file is left behind');
  const plan = (extra: string[], e: Record<string, string>): PlanJson => {
    const r = moe(['plan', 'p.yaml', '--json', ...extra], dir, e);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as PlanJson;
  };
  const withMemo = plan([], env);
  assert.deepEqual(
    withMemo.nodes.map((n) => n.status),
    ['cached', 'cached'],
  );
  rmSync(memoDir, { recursive: true });
  assert.deepEqual(plan([], env), withMemo, 'the same plan without the memo');
  plan([], env);
  const changedEnv = plan([], { MOE_MEMO_TEST: 'two' });
  assert.deepEqual(changedEnv.nodes[1]?.reasons, ['env MOE_MEMO_TEST changed']);
  const changedParam = plan(['--param', 'word=hallo'], env);
  assert.deepEqual(changedParam.nodes[0]?.reasons, ['params.word "hello" → "hallo"']);
  assert.equal(readdirSync(memoDir).length, 2, 'one memo per set of parameters');

  // The rerun really takes `with` from the memo: doctored, it changes the plan.
  const file = join(
    memoDir,
    readdirSync(memoDir).find((n) => readFileSync(join(memoDir, n), 'utf8').includes('hello'))!,
  );
  const memo = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { withJson: string }>;
  memo['a']!.withJson = memo['a']!.withJson.replace('hello', 'doctored');
  writeFileSync(file, JSON.stringify(memo));
  assert.deepEqual(
    plan([], env).nodes.map((n) => n.status),
    ['run', 'blocked'],
  );
});
