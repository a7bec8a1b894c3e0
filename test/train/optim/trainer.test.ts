import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, ort } from '../../../src/onnx/index.js';
import type { Model } from '../../../src/onnx/index.js';
import { withMseLoss } from '../../../src/onnx/autodiff/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainer, loadOptimizerState, saveOptimizerState } from '../../../src/train/optim/index.js';

/**
 * prediction = x·wᵀ over `rows` rows of two features, w = [0.3, −0.2] to start, with an MSE loss against a
 * `target` input: a model small enough to check optimizer arithmetic by hand.
 */
function linearModel(name: string, rows: number): Model {
  const b = new Builder({ name });
  const input = b.input('x', 'float32', [rows, 2]);
  const w = b.weight('w', {
    dtype: 'float32',
    dims: [1, 2],
    data: { kind: 'inline', array: Float32Array.of(0.3, -0.2) },
  });
  b.output(b.linear(input, w, undefined, 'linear'), 'prediction');
  const m = b.build();
  return { ...m, graph: withMseLoss(m.graph, { prediction: 'prediction' }) };
}

/** Solves the 4×4 normal equations (Aᵀ A) θ = Aᵀ y by Gaussian elimination with partial pivoting. */
function leastSquares(a: number[][], y: number[]): number[] {
  const n = (a[0] as number[]).length;
  const m: number[][] = Array.from({ length: n }, (_r, i) => [
    ...Array.from({ length: n }, (_c, j) =>
      a.reduce((s, row) => s + (row[i] as number) * (row[j] as number), 0),
    ),
    a.reduce((s, row, k) => s + (row[i] as number) * (y[k] as number), 0),
  ]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

test('linear regression trained through the generated training graph and AdamW reaches the least-squares optimum', async () => {
  const rows = 64;
  let seed = 3;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const x = Float32Array.from({ length: rows * 3 }, rand);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++)
    y[r] = 2 * x[r * 3]! - 1.5 * x[r * 3 + 1]! + 0.5 * x[r * 3 + 2]! + 0.25 + 0.1 * rand();

  const b = new Builder({ name: 'linreg' });
  const input = b.input('x', 'float32', [rows, 3]);
  const w = b.weight('linear.weight', {
    dtype: 'float32',
    dims: [1, 3],
    data: { kind: 'inline', array: new Float32Array(3) },
  });
  const bias = b.weight('linear.bias', {
    dtype: 'float32',
    dims: [1],
    data: { kind: 'inline', array: new Float32Array(1) },
  });
  b.output(b.linear(input, w, bias, 'linear'), 'prediction');
  const model = b.build();
  const withLoss = { ...model, graph: withMseLoss(model.graph, { prediction: 'prediction' }) };

  const steps = 400;
  const created = await createTrainer({
    model: withLoss,
    loss: 'loss',
    optimizer: { lr: 0.05, weightDecay: 0 },
    schedule: { kind: 'cosine', lr: 0.05, warmupSteps: 10, totalSteps: steps },
    threads: 1,
  });
  assert.ok(created.ok, created.ok ? '' : created.error.message);
  const trainer = created.value;
  try {
    assert.deepEqual(trainer.dataInputs, ['x', 'target']);
    assert.deepEqual(
      trainer.params.map((p) => [p.name, p.dims]),
      [
        ['linear.weight', [1, 3]],
        ['linear.bias', [1]],
      ],
    );
    const batch = {
      x: new ort.Tensor('float32', x, [rows, 3]),
      target: new ort.Tensor('float32', y, [rows, 1]),
    };
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push((await trainer.step(batch)).loss);
    assert.ok(losses[steps - 1]! < losses[0]! / 20, `loss ${losses[0]} → ${losses[steps - 1]}`);
    const design = Array.from({ length: rows }, (_v, r) => [x[r * 3]!, x[r * 3 + 1]!, x[r * 3 + 2]!, 1]);
    const optimum = leastSquares(design, Array.from(y));
    const got = [...trainer.params[0]!.data, trainer.params[1]!.data[0]!];
    optimum.forEach((o, i) => assert.ok(Math.abs(got[i]! - o) < 2e-3, `θ[${i}] = ${got[i]}, optimum ${o}`));
  } finally {
    await trainer.release();
  }
});

test('accumulating two half batches takes the same step as one whole batch', async () => {
  const build = (rows: number) => linearModel('acc', rows);
  const x = Float32Array.of(1, 2, 3, -1, 0.5, 0.5, -2, 1);
  const t = Float32Array.of(1, 0, -1, 2);
  const whole = await createTrainer({ model: build(4), loss: 'loss', optimizer: { lr: 0.1 }, threads: 1 });
  const halves = await createTrainer({
    model: build(2),
    loss: 'loss',
    optimizer: { lr: 0.1 },
    accumulate: 2,
    threads: 1,
  });
  assert.ok(whole.ok && halves.ok);
  try {
    await whole.value.step({
      x: new ort.Tensor('float32', x, [4, 2]),
      target: new ort.Tensor('float32', t, [4, 1]),
    });
    const first = await halves.value.step({
      x: new ort.Tensor('float32', x.slice(0, 4), [2, 2]),
      target: new ort.Tensor('float32', t.slice(0, 2), [2, 1]),
    });
    assert.equal(first.applied, false);
    const second = await halves.value.step({
      x: new ort.Tensor('float32', x.slice(4), [2, 2]),
      target: new ort.Tensor('float32', t.slice(2), [2, 1]),
    });
    assert.equal(second.applied, true);
    const a = whole.value.params[0]!.data;
    const b = halves.value.params[0]!.data;
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${a[i]} vs ${b[i]}`);
  } finally {
    await whole.value.release();
    await halves.value.release();
  }
});

test('a run resumed from saved weights and optimizer state ends where an uninterrupted run ends', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-trainer-'));
  const build = () => linearModel('resume', 4);
  const batch = {
    x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, -1, 0.5, 0.5, -2, 1), [4, 2]),
    target: new ort.Tensor('float32', Float32Array.of(1, 0, -1, 2), [4, 1]),
  };
  const options = {
    loss: 'loss',
    optimizer: { lr: 0.05 },
    schedule: { kind: 'cosine', lr: 0.05, warmupSteps: 2, totalSteps: 10 },
    ema: { decay: 0.9 },
    threads: 1,
  } as const;
  try {
    const straight = await createTrainer({ model: build(), ...options });
    assert.ok(straight.ok);
    for (let i = 0; i < 10; i++) await straight.value.step(batch);

    const first = await createTrainer({ model: build(), ...options });
    assert.ok(first.ok);
    for (let i = 0; i < 4; i++) await first.value.step(batch);
    const path = join(dir, 'optimizer.safetensors');
    await saveOptimizerState(path, first.value.optimizer, first.value.ema);
    const saved = new Map(first.value.params.map((p) => [p.name, Float32Array.from(p.data)]));
    await first.value.release();

    const resumed = await createTrainer({ model: build(), ...options, initialWeights: saved });
    assert.ok(resumed.ok);
    const loaded = await loadOptimizerState(path, resumed.value.optimizer, resumed.value.ema);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    assert.equal(resumed.value.optimizer.step, 4);
    for (let i = 4; i < 10; i++) await resumed.value.step(batch);
    assert.deepEqual(resumed.value.params[0]?.data, straight.value.params[0]?.data);
    assert.deepEqual(resumed.value.ema?.shadow[0], straight.value.ema?.shadow[0]);
    await straight.value.release();
    await resumed.value.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the gradient copies onnxruntime returns from each run do not pile up between steps', async () => {
  // onnxruntime-node hands every output back as a fresh ArrayBuffer, so each step leaves one gradient's
  // worth (here 4 MB) of dead buffers. Left to V8 they accumulate to about 32 MB per thread before a
  // scavenge frees them; the trainer keeps them to about one run's worth.
  const n = 1 << 20;
  const gradientBytes = 4 * n;
  const b = new Builder({ name: 'wide' });
  const input = b.input('x', 'float32', [2, n]);
  const w = b.weight('w', {
    dtype: 'float32',
    dims: [1, n],
    data: { kind: 'inline', array: new Float32Array(n) },
  });
  b.output(b.linear(input, w, undefined, 'linear'), 'prediction');
  const m = b.build();
  const created = await createTrainer({
    model: { ...m, graph: withMseLoss(m.graph, { prediction: 'prediction' }) },
    loss: 'loss',
    optimizer: { lr: 1e-3, weightDecay: 0 },
    threads: 1,
  });
  assert.ok(created.ok, created.ok ? '' : created.error.message);
  const trainer = created.value;
  try {
    const batch = {
      x: new ort.Tensor('float32', new Float32Array(2 * n).fill(0.5), [2, n]),
      target: new ort.Tensor('float32', Float32Array.of(1, -1), [2, 1]),
    };
    await trainer.step(batch);
    const after1 = process.memoryUsage().arrayBuffers;
    let most = after1;
    for (let i = 0; i < 20; i++) {
      await trainer.step(batch);
      most = Math.max(most, process.memoryUsage().arrayBuffers);
    }
    const grown = (most - after1) / gradientBytes;
    assert.ok(grown <= 2, `ArrayBuffers grew by ${grown.toFixed(1)} gradients' worth over 20 steps`);
  } finally {
    await trainer.release();
  }
});
