import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdamW,
  clipGradNorm,
  clipGradValue,
  GradientAccumulator,
  globalNorm,
  learningRate,
  loadOptimizerState,
  saveOptimizerState,
  WeightEma,
} from '../../../src/train/optim/index.js';

test('clipGradNorm scales every gradient by maxNorm / norm when the global norm is larger', () => {
  const a = Float32Array.of(3, 0);
  const b = Float32Array.of(0, 4);
  assert.equal(clipGradNorm([a, b], 10), 5);
  assert.deepEqual([...a, ...b], [3, 0, 0, 4]);
  assert.equal(clipGradNorm([a, b], 1), 5);
  assert.ok(Math.abs(globalNorm([a, b]) - 1) < 1e-6);
  assert.ok(Math.abs((a[0] as number) - 0.6) < 1e-6);
});

test("clipGradValue limits each element to ±maxValue (torch clip_grad_value_, SimpleTuner's default)", () => {
  const a = Float32Array.of(3, -0.5);
  const b = Float32Array.of(-4, 1);
  assert.equal(clipGradValue([a, b], 2), 4, 'the largest |g| before clipping');
  assert.deepEqual([...a, ...b], [2, -0.5, -2, 1]);
  // Unlike norm clipping, the direction changes: elements under the limit keep their value.
  assert.equal(clipGradValue([a, b], 10), 2);
  assert.deepEqual([...a, ...b], [2, -0.5, -2, 1]);
});

test('learning-rate schedules: constant, warm-up, linear and cosine decay (diffusers semantics)', () => {
  assert.equal(learningRate({ kind: 'constant', lr: 2, warmupSteps: 10 }, 0), 2);
  const warm = { kind: 'constant_with_warmup', lr: 1, warmupSteps: 4 } as const;
  assert.deepEqual(
    [0, 1, 2, 4, 100].map((s) => learningRate(warm, s)),
    [0, 0.25, 0.5, 1, 1],
  );
  const linear = { kind: 'linear', lr: 1, warmupSteps: 2, totalSteps: 12 } as const;
  assert.deepEqual(
    [1, 2, 7, 12, 20].map((s) => learningRate(linear, s)),
    [0.5, 1, 0.5, 0, 0],
  );
  const cosine = { kind: 'cosine', lr: 1, warmupSteps: 2, totalSteps: 12 } as const;
  const values = [2, 7, 12].map((s) => learningRate(cosine, s));
  assert.ok(Math.abs((values[0] as number) - 1) < 1e-12);
  assert.ok(Math.abs((values[1] as number) - 0.5) < 1e-12);
  assert.ok(Math.abs(values[2] as number) < 1e-12);
  assert.throws(() => learningRate({ kind: 'cosine', lr: 1 }, 3), /totalSteps/);
});

test('GradientAccumulator averages micro-batches and restarts after each take', () => {
  const acc = new GradientAccumulator([2], 3);
  assert.equal(acc.add([Float32Array.of(1, 2)]), false);
  assert.equal(acc.add([Float32Array.of(3, 4)]), false);
  assert.equal(acc.add([Float32Array.of(5, 0)]), true);
  assert.deepEqual([...(acc.take()[0] as Float32Array)], [3, 2]);
  acc.add([Float32Array.of(7, 7)]);
  assert.equal(acc.pending, 1);
  assert.deepEqual([...(acc.take()[0] as Float32Array)], [7, 7]);
  assert.throws(() => new GradientAccumulator([1], 0), /≥ 1/);
});

test('WeightEma follows diffusers EMAModel: the first update copies, then decay min(d, (1+n)/(10+n))', () => {
  const w = Float32Array.of(0);
  const ema = new WeightEma([{ name: 'w', data: w }], { decay: 0.5 });
  w[0] = 10;
  ema.update();
  assert.equal(ema.shadow[0]?.[0], 10);
  w[0] = 20;
  assert.equal(ema.currentDecay(), 2 / 11);
  ema.update();
  assert.ok(Math.abs((ema.shadow[0]?.[0] as number) - ((2 / 11) * 10 + (9 / 11) * 20)) < 1e-5);
  for (let i = 0; i < 20; i++) ema.update();
  assert.equal(ema.currentDecay(), 0.5);
  const fixed = new WeightEma([{ name: 'w', data: Float32Array.of(1) }], { decay: 0.9, warmup: false });
  assert.equal(fixed.currentDecay(), 0.9);
});

test('optimizer and EMA state round-trip through a safetensors file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-optim-'));
  try {
    const w = Float32Array.of(1, 2, 3);
    const opt = new AdamW([{ name: 'layer.weight', data: w }], { lr: 0.1 });
    const ema = new WeightEma(opt.params, { decay: 0.9 });
    opt.update([Float32Array.of(0.1, -0.2, 0.3)]);
    ema.update();
    opt.update([Float32Array.of(0.2, 0.1, -0.3)]);
    ema.update();
    const path = join(dir, 'optimizer.safetensors');
    await saveOptimizerState(path, opt, ema);

    const w2 = Float32Array.from(w);
    const opt2 = new AdamW([{ name: 'layer.weight', data: w2 }], { lr: 0.1 });
    const ema2 = new WeightEma(opt2.params, { decay: 0.9 });
    const r = await loadOptimizerState(path, opt2, ema2);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(opt2.step, 2);
    assert.equal(ema2.updates, 2);
    assert.deepEqual(ema2.shadow[0], ema.shadow[0]);
    const g = Float32Array.of(-0.1, 0.4, 0.05);
    opt.update([g]);
    opt2.update([g]);
    assert.deepEqual(w2, w);

    const other = new AdamW([{ name: 'other', data: new Float32Array(3) }]);
    const bad = await loadOptimizerState(path, other);
    assert.ok(!bad.ok && /other/.test(bad.error.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
