import { test } from 'node:test';
import { gradCheck } from './gradcheck.js';

test('MatMul: batched with broadcast batch axes, and a linear layer against a transposed rank-2 weight', async () => {
  await gradCheck({
    inputs: {
      a: { shape: [2, 3, 4, 5] },
      b: { shape: [3, 5, 2] },
      w: { shape: [6, 2] },
      bias: { shape: [6] },
    },
    build: (b, v) => b.linear(b.matmul(v['a']!, v['b']!), v['w']!, v['bias']!),
  });
});

test('Gemm: every transA/transB combination, alpha and beta, broadcast C', async () => {
  await gradCheck({
    inputs: {
      a: { shape: [3, 4] },
      at: { shape: [4, 3] },
      b: { shape: [4, 5] },
      bt: { shape: [5, 4] },
      c: { shape: [5] },
    },
    build: (b, v) => {
      const p = b.gemm(v['a']!, v['b']!, v['c']!, { alpha: 0.5, beta: 2 });
      const q = b.gemm(v['at']!, v['bt']!, undefined, { transA: true, transB: true });
      const r = b.gemm(v['at']!, v['b']!, v['c']!, { transA: true });
      const s = b.gemm(v['a']!, v['bt']!, undefined, { transB: true, alpha: -1.5 });
      return b.add(b.add(p, q), b.add(r, s));
    },
  });
});

test('attention (scaled q·kᵀ, Softmax, ·v with head reshapes and transposes) matches finite differences', async () => {
  await gradCheck({
    inputs: {
      x: { shape: [2, 3, 8] },
      ctx: { shape: [2, 5, 6] },
      wq: { shape: [8, 8] },
      wk: { shape: [8, 6] },
    },
    build: (b, v) => {
      const q = b.scale(b.linear(v['x']!, v['wq']!), 0.5);
      const k = b.linear(v['ctx']!, v['wk']!);
      const qh = b.transpose(b.reshape(q, [0, 0, 2, 4]), [0, 2, 1, 3]);
      const kt = b.transpose(b.reshape(k, [0, 0, 2, 4]), [0, 2, 3, 1]);
      const vh = b.transpose(b.reshape(k, [0, 0, 2, 4]), [0, 2, 1, 3]);
      const o = b.matmul(b.softmax(b.matmul(qh, kt), -1), vh);
      return b.reshape(b.transpose(o, [0, 2, 1, 3]), [0, 0, 8]);
    },
  });
});
