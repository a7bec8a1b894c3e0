import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, WeightEma } from '../../../src/train/optim/index.js';
import {
  latestCheckpoint,
  loadCheckpointOptimizer,
  loadCheckpointWeights,
  saveCheckpoint,
} from '../../../src/train/expert/checkpoint.js';
import type { CheckpointState } from '../../../src/train/expert/checkpoint.js';
import { MetricsLog } from '../../../src/train/expert/metrics.js';

const state = (step: number): CheckpointState => ({
  format: 'moe-train-expert/1',
  step,
  microBatch: step * 2,
  seed: 9,
  metricsBytes: 0,
  settings: 'abc',
});

test('checkpoints round-trip weights, AdamW and EMA state; only the latest complete one counts', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-ckpt-'));
  try {
    const params = [
      { name: 'a.weight', data: Float32Array.of(1, 2, 3) },
      { name: 'a.bias', data: Float32Array.of(0.5) },
    ];
    const opt = new AdamW(params, { lr: 0.1 });
    const ema = new WeightEma(params, { decay: 0.9 });
    opt.update([Float32Array.of(0.1, -0.2, 0.3), Float32Array.of(1)]);
    ema.update();
    await saveCheckpoint(root, state(3), params, opt, ema);
    opt.update([Float32Array.of(0.1, -0.2, 0.3), Float32Array.of(1)]);
    ema.update();
    await saveCheckpoint(root, state(6), params, opt, ema);
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith('step-')),
      ['step-00000006'],
      'older checkpoints are pruned',
    );

    // A half-written later checkpoint (no marker) and a stray staging folder are ignored.
    await mkdir(join(root, 'step-00000009'));
    await writeFile(join(root, 'step-00000009', 'state.json'), JSON.stringify(state(9)));
    await mkdir(join(root, '.step-00000012.123.tmp'));
    const found = await latestCheckpoint(root);
    assert.equal(found?.state.step, 6);

    const weights = await loadCheckpointWeights(found?.dir ?? '');
    assert.ok(weights.ok);
    assert.deepEqual([...(weights.value.get('a.weight') ?? [])], [...params[0]!.data]);
    const fresh = [
      { name: 'a.weight', data: new Float32Array(3) },
      { name: 'a.bias', data: new Float32Array(1) },
    ];
    const opt2 = new AdamW(fresh, { lr: 0.1 });
    const ema2 = new WeightEma(fresh, { decay: 0.9 });
    const restored = await loadCheckpointOptimizer(found?.dir ?? '', opt2, ema2);
    assert.ok(restored.ok);
    assert.equal(opt2.step, 2);
    assert.equal(ema2.updates, 2);
    assert.deepEqual([...(ema2.shadow[0] ?? [])], [...(ema.shadow[0] ?? [])]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('no checkpoint folder, or only incomplete ones, means a fresh start', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-ckpt-'));
  try {
    assert.equal(await latestCheckpoint(join(root, 'missing')), undefined);
    await mkdir(join(root, 'step-00000004'));
    await writeFile(join(root, 'step-00000004', 'COMPLETE'), '4\n');
    await writeFile(join(root, 'step-00000004', 'state.json'), '{ not json');
    assert.equal(await latestCheckpoint(root), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the metrics log is cut back to the length a checkpoint recorded', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-metrics-'));
  try {
    const path = join(root, 'metrics.jsonl');
    const row = (step: number) => ({
      step,
      loss: 1 / step,
      lr: 0.1,
      timestep_mean: 500,
      timestep_min: 400,
      timestep_max: 600,
    });
    const log = await MetricsLog.open(path, 0);
    await log.append(row(1));
    await log.append(row(2));
    const kept = log.bytes;
    await log.append(row(3));
    await log.close();
    const resumed = await MetricsLog.open(path, kept);
    await resumed.append(row(3));
    await resumed.close();
    const steps = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(steps, [1, 2, 3]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
