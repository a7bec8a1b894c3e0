import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ridgeSolve, symmetricEigen } from '../../../src/models/math/linalg.js';
import { Random, normalArray } from '../../../src/models/math/random.js';

test('symmetricEigen: A·v = λ·v, values descending, vectors orthonormal', () => {
  const n = 6;
  const rng = new Random(1);
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += b[i * n + k]! * b[j * n + k]!;
  const { values, vectors } = symmetricEigen(a, n);
  for (let c = 0; c < n; c++) {
    if (c > 0) assert.ok(values[c - 1]! >= values[c]!);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k]! * vectors[k * n + c]!;
      assert.ok(Math.abs(av - values[c]! * vectors[i * n + c]!) < 1e-9, `column ${c} row ${i}`);
    }
    for (let c2 = 0; c2 < n; c2++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += vectors[k * n + c]! * vectors[k * n + c2]!;
      assert.ok(Math.abs(dot - (c === c2 ? 1 : 0)) < 1e-9);
    }
  }
});

test('ridgeSolve recovers the weights of an exact linear map', () => {
  const d = 4;
  const k = 2;
  const truth = Float64Array.from([1, -2, 0.5, 3, -1, 0, 2, 0.25]); // d × k
  const rng = new Random(2);
  const gram = new Float64Array(d * d);
  const xty = new Float64Array(d * k);
  for (let s = 0; s < 200; s++) {
    const x = Float64Array.from({ length: d }, () => rng.normal());
    const y = Array.from({ length: k }, (_, c) => x.reduce((acc, v, i) => acc + v * truth[i * k + c]!, 0));
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) gram[i * d + j]! += x[i]! * x[j]!;
      for (let c = 0; c < k; c++) xty[i * k + c]! += x[i]! * y[c]!;
    }
  }
  const w = ridgeSolve(gram, xty, d, k, 1e-9);
  w.forEach((v, i) => assert.ok(Math.abs(v - truth[i]!) < 1e-6, `w[${i}] = ${v}`));
});

test('Random: the same seed repeats, forks are independent of draw order, normals have unit variance', () => {
  assert.deepEqual(normalArray(new Random(5), 8, 1), normalArray(new Random(5), 8, 1));
  assert.notDeepEqual(normalArray(new Random(5), 8, 1), normalArray(new Random(6), 8, 1));
  const a = new Random(5);
  const b = new Random(5);
  b.uniform();
  assert.equal(a.fork('x').uniform(), b.fork('x').uniform());
  const xs = normalArray(new Random(7), 20000, 1);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean} variance ${variance}`);
});
