import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, inferShapes, reshapeTarget } from '../../src/onnx/index.js';

test('symbolic dims flow through reshape, transpose, matmul, conv and runtime shapes', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', ['batch', 8, 'height', 'width']);
  const w = b.constant(new Float32Array(16 * 8 * 9), { dims: [16, 8, 3, 3] });
  const c = b.conv(x, w, undefined, { pads: [1, 1, 1, 1] });
  assert.deepEqual(c.shape, ['batch', 16, 'height', 'width']);
  const down = b.conv(x, w, undefined, { pads: [1, 1, 1, 1], strides: [2, 2] });
  assert.deepEqual(down.shape, ['batch', 16, 'height/2', 'width/2']);
  // Nearest up-sampling undoes the stride: the skip connection it meets has the same symbolic size.
  assert.deepEqual(b.upsampleNearest(down).shape, ['batch', 16, 'height', 'width']);
  const flat = b.transpose(b.reshape(c, [0, 0, -1]), [0, 2, 1]);
  assert.deepEqual(flat.shape, ['batch', 'height*width', 16]);
  const back = b.reshape(b.transpose(flat, [0, 2, 1]), b.shapeOf(c));
  assert.deepEqual(back.shape, ['batch', 16, 'height', 'width']);
  const heads = b.reshape(flat, [0, 0, 4, 4]);
  assert.deepEqual(heads.shape, ['batch', 'height*width', 4, 4]);
  const scores = b.matmul(b.transpose(heads, [0, 2, 1, 3]), b.transpose(heads, [0, 2, 3, 1]));
  assert.deepEqual(scores.shape, ['batch', 4, 'height*width', 'height*width']);
  const [p, q] = b.split(b.input('y', 'float32', ['batch', 10, 32]), [16, 16], -1);
  assert.deepEqual(p?.shape, ['batch', 10, 16]);
  assert.deepEqual(q?.shape, ['batch', 10, 16]);
  assert.deepEqual(b.upsampleNearest(b.input('z', 'float32', [2, 3, 4, 5])).shape, [2, 3, 8, 10]);
  assert.deepEqual(b.concat([c, c], 1).shape, ['batch', 32, 'height', 'width']);
  assert.deepEqual(b.slice(b.shapeOf(c), [0], [1]).value, ['batch']);
  assert.deepEqual(b.reduceMean(c, [2, 3], false).shape, ['batch', 16]);
});

test('reshape inference cancels symbols and divides what is numeric', () => {
  assert.deepEqual(reshapeTarget(['b', 64, 8, 8], [0, 8, -1]), ['b', 8, 512]);
  assert.deepEqual(reshapeTarget([2, 3, 4], [-1]), [24]);
  assert.deepEqual(reshapeTarget(['b', 6], [-1, 2, 3]), ['b', 2, 3]);
  assert.deepEqual(reshapeTarget(['b', 6], [2, -1]), [2, '3*b']);
  assert.deepEqual(reshapeTarget(['3*b', 4], [-1, 12]), ['b', 12]);
  assert.deepEqual(reshapeTarget(['b', '?'], [0, 2, -1]), ['b', 2, '?']);
  assert.throws(() => reshapeTarget(['b', 5], [0, 2, -1]), /cannot reshape \[b,5\] to \[0,2,-1\]/);
});

test('inferShapes over a built graph agrees with the builder', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', ['n', 4]);
  const y = b.gemm(x, b.constant(new Float32Array(12), { dims: [3, 4] }), undefined, { transB: true });
  b.output(b.softmax(y), 'probs');
  const facts = inferShapes(b.build().graph);
  assert.deepEqual(facts.get('probs')?.shape, ['n', 3]);
  assert.deepEqual(facts.get(y.name)?.shape, ['n', 3]);
});

test('a matmul with mismatched inner dims is refused with both shapes', () => {
  const b = new Builder();
  assert.throws(
    () => b.matmul(b.input('a', 'float32', [2, 3]), b.input('b', 'float32', [4, 5])),
    /\[2,3\] × \[4,5\]/,
  );
});
