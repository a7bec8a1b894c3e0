import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../../../src/train/optim/index.js';

test('AdamW follows a hand-computed sequence (bias correction, decoupled weight decay)', () => {
  // θ ← θ(1 − lr·λ); m, v moments; θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ).
  // Step 1: m̂ = g, √v̂ = |g|, so θ1 = θ0·0.999 − 0.1·sign(g) = [0.899, −1.898].
  const w = Float32Array.of(1, -2);
  const opt = new AdamW([{ name: 'w', data: w }], { lr: 0.1, weightDecay: 0.01 });
  const expected = [
    [0.899000002, -1.898000001],
    [0.8177969063826518, -1.8533171424282264],
    [0.7825437349271063, -1.8183910057075732],
  ];
  const grads = [Float32Array.of(0.5, -1), Float32Array.of(0.1, 0.3), Float32Array.of(-0.2, 0)];
  grads.forEach((g, t) => {
    opt.update([g]);
    assert.equal(opt.step, t + 1);
    const e = expected[t] as number[];
    for (let i = 0; i < 2; i++) {
      assert.ok(
        Math.abs((w[i] as number) - (e[i] as number)) < 2e-7,
        `step ${t + 1}[${i}]: ${w[i]} vs ${e[i]}`,
      );
    }
  });
});

test('AdamW: parameters exempt from decay, a per-step learning rate, and state that restores exactly', () => {
  const a = Float32Array.of(1, 1);
  const b = Float32Array.of(1, 1);
  const opt = new AdamW(
    [
      { name: 'a', data: a },
      { name: 'b.bias', data: b },
    ],
    { lr: 0.5, weightDecay: 0.1, noDecay: (n) => n.endsWith('bias') },
  );
  const zero = new Float32Array(2);
  opt.update([zero, zero]);
  assert.equal(a[0], Math.fround(1 - 0.5 * 0.1));
  assert.equal(b[0], 1);
  opt.update([zero, zero], 0);
  assert.equal(a[0], Math.fround(1 - 0.5 * 0.1));

  const g = Float32Array.of(0.3, -0.7);
  const x = Float32Array.of(0.2, 0.4);
  const y = Float32Array.from(x);
  const one = new AdamW([{ name: 'x', data: x }], { lr: 0.01 });
  const two = new AdamW([{ name: 'x', data: y }], { lr: 0.01 });
  one.update([g]);
  two.update([g]);
  const saved = one.state();
  const copy = {
    step: saved.step,
    m: new Map([...saved.m].map(([k, v]) => [k, Float32Array.from(v)])),
    v: new Map([...saved.v].map(([k, v]) => [k, Float32Array.from(v)])),
  };
  const fresh = new AdamW([{ name: 'x', data: Float32Array.from(x) }], { lr: 0.01 });
  fresh.load(copy);
  assert.equal(fresh.step, 1);
  one.update([g]);
  fresh.update([g]);
  assert.deepEqual(fresh.params[0]?.data, one.params[0]?.data);
  assert.throws(
    () =>
      new AdamW([
        { name: 'x', data: x },
        { name: 'x', data: y },
      ]),
    /twice/,
  );
  assert.throws(() => one.update([]), /expected 1 gradients/);
});

test('AdamW in a WebAssembly arena gives the same bits as the TypeScript loop (odd sizes, clipping scale, no-decay)', async () => {
  const { WasmArena } = await import('../../../src/train/optim/adamw-wasm.js');
  const sizes = [1, 7, 32, 1001];
  const arena = WasmArena.create(sizes.flatMap((n) => [n, n, n, n]));
  assert.ok(arena, 'WebAssembly SIMD is available in Node 20');
  let seed = 5;
  const draw = (n: number, scale: number): Float32Array =>
    Float32Array.from({ length: n }, () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * scale;
    });
  const start = sizes.map((n) => draw(n, 2));
  const plain = sizes.map((_n, k) => ({ name: `p${k}`, data: Float32Array.from(start[k]!) }));
  const held = sizes.map((n, k) => {
    const data = arena.alloc(n);
    data.set(start[k]!);
    return { name: `p${k}`, data };
  });
  const plainGrads = sizes.map((n) => new Float32Array(n));
  const heldGrads = sizes.map((n) => arena.alloc(n));
  const noDecay = (name: string): boolean => name === 'p1';
  const a = new AdamW(plain, { lr: 0.05, weightDecay: 0.1, noDecay });
  const b = new AdamW(held, { lr: 0.05, weightDecay: 0.1, noDecay, arena });
  for (let t = 0; t < 12; t++) {
    sizes.forEach((n, k) => {
      const g = draw(n, t % 3 === 0 ? 1e-4 : 3);
      plainGrads[k]!.set(g);
      heldGrads[k]!.set(g);
    });
    const scale = t % 4 === 1 ? 0.37 : 1;
    const squaresA = a.update(plainGrads, 0.05 / (t + 1), scale);
    const squaresB = b.update(heldGrads, 0.05 / (t + 1), scale);
    assert.ok(Math.abs(squaresA - squaresB) <= 1e-12 * squaresA, `Σg² at step ${t + 1}`);
  }
  sizes.forEach((_n, k) => {
    assert.deepEqual(held[k]!.data, plain[k]!.data, `weights of p${k}`);
    assert.deepEqual(b.state().m.get(`p${k}`), a.state().m.get(`p${k}`), `first moment of p${k}`);
    assert.deepEqual(b.state().v.get(`p${k}`), a.state().v.get(`p${k}`), `second moment of p${k}`);
  });
});

test('AdamW rounds every operation to float32, as torch computes it for float32 parameters', () => {
  const f = Math.fround;
  const n = 1000;
  let seed = 11;
  const draw = (scale: number): Float32Array =>
    Float32Array.from({ length: n }, () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * scale;
    });
  const w0 = draw(2);
  const grads = [draw(1), draw(1e-3), draw(10)];
  const w = Float32Array.from(w0);
  const opt = new AdamW([{ name: 'w', data: w }], { lr: 0.01, weightDecay: 0.05 });
  // The same three steps written out: float32 scalars, each product, sum, root and quotient rounded.
  const ew = Float32Array.from(w0);
  const em = new Float32Array(n);
  const ev = new Float32Array(n);
  // And in double precision, rounded only when stored, to show that the two differ.
  const dw = Float32Array.from(w0);
  const dm = new Float32Array(n);
  const dv = new Float32Array(n);
  grads.forEach((g, s) => {
    opt.update([g]);
    const t = s + 1;
    const step = f(0.01 / (1 - 0.9 ** t));
    const ib = f(1 / Math.sqrt(1 - 0.999 ** t));
    const shrink = f(1 - 0.01 * 0.05);
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      em[i] = f(f(f(0.9) * em[i]!) + f(f(1 - 0.9) * gi));
      ev[i] = f(f(f(0.999) * ev[i]!) + f(f(f(1 - 0.999) * gi) * gi));
      const denom = f(f(f(Math.sqrt(ev[i]!)) * ib) + f(1e-8));
      ew[i] = f(ew[i]! * shrink) - f(f(step * em[i]!) / denom);
      const m = 0.9 * dm[i]! + 0.1 * gi;
      const v = 0.999 * dv[i]! + 0.001 * gi * gi;
      dm[i] = m;
      dv[i] = v;
      dw[i] =
        dw[i]! * (1 - 0.01 * 0.05) -
        ((0.01 / (1 - 0.9 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
    }
  });
  assert.deepEqual(w, ew);
  assert.deepEqual(opt.state().m.get('w'), em);
  assert.deepEqual(opt.state().v.get('w'), ev);
  const differ = w.filter((x, i) => x !== dw[i]).length;
  assert.ok(differ > 0, 'double-precision arithmetic gives other last bits for some weights');
  // About one unit in the weight's last place per step, plus a few float32 roundings of an update (lr).
  w.forEach((x, i) => {
    const bound = 3 * 2 ** -23 * Math.abs(dw[i]!) + 8 * 2 ** -24 * 0.01;
    assert.ok(Math.abs(x - dw[i]!) <= bound, `weight ${i}: ${x} vs ${dw[i]} in double precision`);
  });
});
