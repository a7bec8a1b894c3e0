import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, encodeModel, openSession, ort } from '../../src/onnx/index.js';
import type { Value } from '../../src/onnx/index.js';

async function run1(build: (b: Builder) => Value, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const b = new Builder();
  for (const [name, t] of Object.entries(feeds)) b.input(name, 'float32', t.dims);
  b.output(build(b), 'out');
  const s = await openSession(encodeModel(b.build()), { threads: 1 });
  assert.ok(s.ok);
  try {
    return (await s.value.run(feeds))['out']!.data as Float32Array;
  } finally {
    await s.value.release();
  }
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'output'): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs((actual[i] ?? 0) - (expected[i] ?? 0));
    assert.ok(d <= tol, `${what}: index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('groupNorm (InstanceNormalization decomposition) matches a direct computation', async () => {
  const [n, c, h, w, groups] = [2, 4, 3, 2, 2];
  const x = Float32Array.from({ length: n * c * h * w }, (_v, i) => Math.sin(i * 1.3) * 3 + (i % 5));
  const gamma = Float32Array.from([1, 2, -1, 0.5]);
  const beta = Float32Array.from([0, 1, 2, -3]);
  const eps = 1e-5;
  const expected = new Float32Array(x.length);
  const per = (c / groups) * h * w;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const start = b * c * h * w + g * per;
      let mean = 0;
      for (let i = 0; i < per; i++) mean += x[start + i]!;
      mean /= per;
      let v = 0;
      for (let i = 0; i < per; i++) v += (x[start + i]! - mean) ** 2;
      v /= per;
      for (let i = 0; i < per; i++) {
        const ch = g * (c / groups) + Math.floor(i / (h * w));
        expected[start + i] = ((x[start + i]! - mean) / Math.sqrt(v + eps)) * gamma[ch]! + beta[ch]!;
      }
    }
  }
  // The decomposition moe emits and the GroupNormalization-21 op itself compute the same thing.
  for (const method of ['groupNorm', 'groupNormOp'] as const) {
    const out = await run1(
      (b) =>
        b[method](
          { name: 'x', dtype: 'float32', shape: [n, c, h, w] },
          b.constant(gamma),
          b.constant(beta),
          groups,
          eps,
        ),
      { x: new ort.Tensor('float32', x, [n, c, h, w]) },
    );
    close(out, expected, 1e-5, method);
  }
});

test('upsampleNearest repeats each pixel 2×2 like F.interpolate(mode="nearest")', async () => {
  const x = Float32Array.from([1, 2, 3, 4]);
  const out = await run1((b) => b.upsampleNearest({ name: 'x', dtype: 'float32', shape: [1, 1, 2, 2] }), {
    x: new ort.Tensor('float32', x, [1, 1, 2, 2]),
  });
  assert.deepEqual(Array.from(out), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('silu and exact gelu', async () => {
  const xs = [-3, -1, 0, 0.5, 2];
  const x = Float32Array.from(xs);
  const silu = await run1((b) => b.silu({ name: 'x', dtype: 'float32', shape: [5] }), {
    x: new ort.Tensor('float32', x, [5]),
  });
  close(
    silu,
    xs.map((v) => v / (1 + Math.exp(-v))),
    1e-6,
  );
  // GELU(x) = x·Φ(x); Φ at these points from tables of the normal CDF.
  const phi = [0.001349898, 0.1586552539, 0.5, 0.6914624613, 0.9772498681];
  const gelu = await run1((b) => b.gelu({ name: 'x', dtype: 'float32', shape: [5] }), {
    x: new ort.Tensor('float32', x, [5]),
  });
  close(
    gelu,
    xs.map((v, i) => v * phi[i]!),
    1e-6,
  );
});
