import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, countFlops } from '../../src/onnx/index.js';
import { attr } from '../../src/onnx/attributes.js';

test('countFlops counts 2 per multiply-add of Conv, ConvTranspose, MatMul and Gemm, and nothing else', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', [2, 8, 6, 6]);
  const w = b.constant(new Float32Array(16 * 4 * 9), { dims: [16, 4, 3, 3] });
  // Grouped conv: each of the 2·16·6·6 outputs sums over 8/2 channels × 9 taps.
  const c = b.conv(x, w, undefined, { pads: [1, 1, 1, 1], group: 2 });
  const wt = b.constant(new Float32Array(16 * 8 * 9), { dims: [16, 8, 3, 3] });
  // ConvTranspose: each of the 2·16·6·6 inputs scatters into 8 channels × 9 taps.
  const back = b.op('ConvTranspose', [c, wt], {
    kernel_shape: attr.ints([3, 3]),
    pads: attr.ints([1, 1, 1, 1]),
  });
  const flat = b.reshape(b.op('Relu', [back]), [2, -1]);
  const m = b.constant(new Float32Array(288 * 5), { dims: [288, 5] });
  const y = b.matmul(flat, m);
  const g = b.constant(new Float32Array(7 * 5), { dims: [7, 5] });
  b.output(b.gemm(y, g, undefined, { transB: true }), 'out');
  const counted = countFlops(b.build().graph);
  const conv = 2 * (2 * 16 * 6 * 6) * (4 * 9);
  const convT = 2 * (2 * 16 * 6 * 6) * (8 * 9);
  const matmul = 2 * (2 * 5) * 288;
  const gemm = 2 * (2 * 7) * 5;
  assert.equal(counted.byOp.get('Conv')?.flops, conv);
  assert.equal(counted.byOp.get('ConvTranspose')?.flops, convT);
  assert.equal(counted.byOp.get('MatMul')?.flops, matmul);
  assert.equal(counted.byOp.get('Gemm')?.flops, gemm);
  assert.equal(counted.total, conv + convT + matmul + gemm);
  assert.equal(counted.byOp.has('Relu'), false);
  assert.equal(counted.unknown, 0);
});
