import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, cudaInstalled, encodeModel, openSession, withSession } from '../../src/onnx/index.js';

function tiny(): Uint8Array {
  const b = new Builder();
  const x = b.input('first', 'float32', ['n']);
  b.output(b.scale(x, 2), 'doubled');
  b.output(b.neg(x), 'negated');
  return encodeModel(b.build());
}

test('sessions expose input and output names and refuse use after release', async () => {
  const s = await openSession(tiny());
  assert.ok(s.ok);
  assert.deepEqual(s.value.inputNames, ['first']);
  assert.deepEqual(s.value.outputNames, ['doubled', 'negated']);
  await s.value.release();
  await assert.rejects(s.value.run({}), /after release/);
});

test('withSession releases and returns the function result', async () => {
  const r = await withSession(tiny(), {}, async (s) => s.outputNames.length);
  assert.deepEqual(r, { ok: true, value: 2 });
});

test(
  'asking for CUDA where it is not installed is a clear error, not a crash',
  { skip: cudaInstalled() },
  async () => {
    const s = await openSession(tiny(), { device: 'cuda' });
    assert.equal(s.ok, false);
    if (!s.ok) {
      assert.equal(s.error.reason, 'cuda-unavailable');
      assert.match(s.error.message, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    }
  },
);

test('a file that is not a model is a load error naming it', async () => {
  const s = await openSession(new Uint8Array([1, 2, 3]));
  assert.equal(s.ok, false);
  if (!s.ok) assert.equal(s.error.reason, 'load-failed');
});
