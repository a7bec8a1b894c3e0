// The attention block against a direct computation in plain loops, with several heads and a context
// longer than the query, so a mix-up of the head split or merge order cannot pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, encodeModel, openSession, ort } from '../../../src/onnx/index.js';
import { attention } from '../../../src/models/unet/transformer.js';

const [B, L, LK, C, CK, HEADS] = [2, 3, 5, 6, 4, 3];

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_v, i) => Math.sin(seed * 7.31 + i * 1.7) * 0.8);
}

/** y[b,l,:] = x[b,l,:]·Wᵀ (+ bias) with W [out, in]. */
function linear(
  x: Float32Array,
  rows: number,
  inDim: number,
  w: Float32Array,
  outDim: number,
  bias?: Float32Array,
): Float32Array {
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
      y[r * outDim + o] = s;
    }
  }
  return y;
}

test('multi-head cross-attention matches a direct computation', async () => {
  const x = values(B * L * C, 1);
  const ctx = values(B * LK * CK, 2);
  const w: Record<string, Float32Array> = {
    'to_q.weight': values(C * C, 3),
    'to_k.weight': values(C * CK, 4),
    'to_v.weight': values(C * CK, 5),
    'to_out.0.weight': values(C * C, 6),
    'to_out.0.bias': values(C, 7),
  };
  const dims: Record<string, number[]> = {
    'to_q.weight': [C, C],
    'to_k.weight': [C, CK],
    'to_v.weight': [C, CK],
    'to_out.0.weight': [C, C],
    'to_out.0.bias': [C],
  };
  const b = new Builder({
    weights: (name) => ({ dtype: 'float32', dims: dims[name]!, data: { kind: 'inline', array: w[name]! } }),
  });
  const xv = b.input('x', 'float32', [B, L, C]);
  const cv = b.input('ctx', 'float32', [B, LK, CK]);
  b.output(attention(b, xv, cv, C, CK, HEADS), 'y');
  const s = await openSession(encodeModel(b.build()), { threads: 1 });
  assert.ok(s.ok);
  const got = (
    await s.value.run({
      x: new ort.Tensor('float32', x, [B, L, C]),
      ctx: new ort.Tensor('float32', ctx, [B, LK, CK]),
    })
  )['y']!.data as Float32Array;
  await s.value.release();

  const q = linear(x, B * L, C, w['to_q.weight']!, C);
  const k = linear(ctx, B * LK, CK, w['to_k.weight']!, C);
  const v = linear(ctx, B * LK, CK, w['to_v.weight']!, C);
  const d = C / HEADS;
  const merged = new Float32Array(B * L * C);
  for (let bi = 0; bi < B; bi++) {
    for (let h = 0; h < HEADS; h++) {
      for (let i = 0; i < L; i++) {
        const scores = new Array<number>(LK).fill(0);
        for (let j = 0; j < LK; j++) {
          for (let e = 0; e < d; e++)
            scores[j]! += q[(bi * L + i) * C + h * d + e]! * k[(bi * LK + j) * C + h * d + e]!;
          scores[j] = scores[j]! / Math.sqrt(d);
        }
        const m = Math.max(...scores);
        const ex = scores.map((s2) => Math.exp(s2 - m));
        const z = ex.reduce((a, c) => a + c, 0);
        for (let e = 0; e < d; e++) {
          let acc = 0;
          for (let j = 0; j < LK; j++) acc += (ex[j]! / z) * v[(bi * LK + j) * C + h * d + e]!;
          merged[(bi * L + i) * C + h * d + e] = acc;
        }
      }
    }
  }
  const want = linear(merged, B * L, C, w['to_out.0.weight']!, C, w['to_out.0.bias']!);
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) < 1e-5, `index ${i}: ${got[i]} vs ${want[i]}`);
});
