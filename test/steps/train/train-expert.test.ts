import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors, readAllTensors } from '../../../src/formats/safetensors.js';
import { loadDiffusersUNet } from '../../../src/models/unet/index.js';
import { openSession } from '../../../src/onnx/index.js';
import { resolveTrainConfig, trainExpertStep } from '../../../src/steps/train/index.js';
import type { TrainExpertWith } from '../../../src/steps/train/index.js';
import { makeContext, parseMetrics, trainingFixture, writeCache } from './helpers.js';

const fx = trainingFixture();

async function weightsOf(unetDir: string): Promise<Map<string, Float32Array>> {
  const r = await openSafetensors(join(unetDir, 'diffusion_pytorch_model.safetensors'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  try {
    return (await readAllTensors(r.value)) as Map<string, Float32Array>;
  } finally {
    await r.value.close();
  }
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name) as Float32Array;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return worst;
}

test('base expert: the loss falls over 30 steps, timesteps stay in 350..999, and the trained UNet loads back', async () => {
  const w: TrainExpertWith = {
    role: 'base',
    model: fx.model,
    cache: fx.cache,
    steps: 30,
    batch_size: 2,
    learning_rate: 2e-3,
    checkpoint_every: 10,
    seed: 1,
  };
  const { ctx, progress } = await makeContext(fx.root, w);
  const result = await trainExpertStep.run(ctx);
  assert.equal(result?.summary?.['steps'], 30);
  assert.equal(result?.summary?.['resumed_from'], 0);

  const rows = parseMetrics(await readFile(join(ctx.outDir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(
    rows.map((r) => r.step),
    Array.from({ length: 30 }, (_v, i) => i + 1),
  );
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const first = mean(rows.slice(0, 5).map((r) => r.loss));
  const last = mean(rows.slice(-5).map((r) => r.loss));
  assert.ok(last < 0.6 * first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
  for (const r of rows) {
    assert.ok(
      r.timestep_min >= 350 && r.timestep_max <= 999,
      `step ${r.step}: ${r.timestep_min}..${r.timestep_max}`,
    );
  }
  // Stratified over two segments: each batch has one high-noise and one lower-noise timestep.
  assert.ok(rows.every((r) => r.timestep_max >= 675 && r.timestep_min < 675));
  assert.ok(progress.some((m) => /^step 30\/30 loss \d/.test(m)));

  const loaded = await loadDiffusersUNet(join(ctx.outDir, 'unet'));
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  await loaded.value.close();
  const trained = await weightsOf(join(ctx.outDir, 'unet'));
  const initial = await weightsOf(join(fx.model, 'unet'));
  assert.ok(maxAbsDiff(trained, initial) > 1e-3, 'training changed the weights');
  assert.deepEqual(
    JSON.parse(await readFile(join(ctx.outDir, 'unet', 'config.json'), 'utf8')),
    JSON.parse(await readFile(join(fx.model, 'unet', 'config.json'), 'utf8')),
  );
  const session = await openSession(join(ctx.outDir, 'onnx', 'model.onnx'), { threads: 1 });
  assert.ok(session.ok, session.ok ? '' : session.error.message);
  assert.ok(session.value.inputNames.includes('sample'));
  await session.value.release();
  const training = JSON.parse(await readFile(join(ctx.outDir, 'training.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(training['timestep_range'], [350, 999]);
  assert.equal(training['timestep_spacing'], 'leading');
  // Only the latest checkpoint is kept.
  assert.deepEqual(
    (await readdir(ctx.checkpointDir)).filter((n) => n.startsWith('step-')),
    ['step-00000030'],
  );
  const state = JSON.parse(
    await readFile(join(ctx.checkpointDir, 'step-00000030', 'state.json'), 'utf8'),
  ) as Record<string, unknown>;
  assert.equal(state['step'], 30);
  assert.equal(state['seed'], 1);
  const opt = await openSafetensors(join(ctx.checkpointDir, 'step-00000030', 'optimizer.safetensors'));
  assert.ok(opt.ok);
  assert.ok(opt.value.tensors.has('adamw.step'));
  await opt.value.close();
});

test('refiner at batch 1 over two latent buckets: timesteps stay in 0..349, v-prediction, min-SNR and EMA run', async () => {
  const buckets = join(fx.root, 'cache-buckets');
  await writeCache(buckets, {
    train: 6,
    shapes: [
      [4, 8, 8],
      [4, 8, 12],
    ],
  });
  const w: TrainExpertWith = {
    role: 'refiner',
    model: fx.model,
    cache: buckets,
    steps: 8,
    batch_size: 1,
    prediction_type: 'v_prediction',
    zero_snr: true,
    snr_gamma: 5,
    ema_decay: 0.9,
    learning_rate: 1e-3,
    checkpoint_every: 4,
    seed: 2,
  };
  const { ctx } = await makeContext(fx.root, w);
  await trainExpertStep.run(ctx);
  const rows = parseMetrics(await readFile(join(ctx.outDir, 'metrics.jsonl'), 'utf8'));
  assert.equal(rows.length, 8);
  for (const r of rows) {
    assert.ok(Number.isFinite(r.loss));
    assert.ok(
      r.timestep_min >= 0 && r.timestep_max <= 349,
      `step ${r.step}: ${r.timestep_min}..${r.timestep_max}`,
    );
  }
  const loaded = await loadDiffusersUNet(join(ctx.outDir, 'unet'));
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  await loaded.value.close();
});

test("a run killed with SIGKILL after a checkpoint resumes from it and ends with the uninterrupted run's weights", async () => {
  const w: TrainExpertWith = {
    role: 'base',
    model: fx.model,
    cache: fx.cache,
    steps: 16,
    batch_size: 1,
    gradient_accumulation: 2,
    lr_scheduler: 'cosine',
    lr_warmup_steps: 2,
    learning_rate: 1e-3,
    max_grad_norm: 1,
    ema_decay: 0.9,
    checkpoint_every: 3,
    seed: 5,
  };
  const whole = await makeContext(fx.root, w);
  await trainExpertStep.run(whole.ctx);

  const out = join(fx.root, 'killed-out');
  const checkpoint = join(fx.root, 'killed-ckpt');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'run-child.ts'),
      JSON.stringify({ root: fx.root, with: w, out, checkpoint }),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    const names = existsSync(checkpoint) ? await readdir(checkpoint) : [];
    if (names.some((n) => n.startsWith('step-'))) break;
    if (child.exitCode !== null) assert.fail(`the child ended before its first checkpoint: ${stderr}`);
    if (Date.now() > deadline) assert.fail('no checkpoint within 2 minutes');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.ok(!existsSync(join(out, 'unet')), 'the killed run must not have finished');

  const resumed = await makeContext(fx.root, w, { out: join(fx.root, 'resumed-out'), checkpoint });
  const result = await trainExpertStep.run(resumed.ctx);
  const from = result?.summary?.['resumed_from'] as number;
  assert.ok(from >= 3 && from < 16 && from % 3 === 0, `resumed from step ${from}`);
  assert.ok(resumed.logs.some((l) => l.includes(`resuming from the checkpoint at step ${from}`)));

  const diff = maxAbsDiff(
    await weightsOf(join(whole.ctx.outDir, 'unet')),
    await weightsOf(join(resumed.ctx.outDir, 'unet')),
  );
  assert.ok(diff < 1e-5, `weights differ by ${diff}`);
  const a = parseMetrics(await readFile(join(whole.ctx.outDir, 'metrics.jsonl'), 'utf8'));
  const b = parseMetrics(await readFile(join(resumed.ctx.outDir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(
    b.map((r) => r.step),
    a.map((r) => r.step),
  );
  a.forEach((r, i) => assert.ok(Math.abs(r.loss - (b[i] as typeof r).loss) < 1e-5, `step ${r.step} loss`));
});

test('the simpletuner backend without images and an empty train split are refused with a clear message', async () => {
  const st = await makeContext(fx.root, {
    role: 'base',
    model: fx.model,
    cache: fx.cache,
    backend: 'simpletuner',
  });
  await assert.rejects(trainExpertStep.run(st.ctx), /backend simpletuner needs `images`/);

  const evalOnly = join(fx.root, 'cache-eval-only');
  await writeCache(evalOnly, { train: 0, eval: 2 });
  const empty = await makeContext(fx.root, { role: 'base', model: fx.model, cache: evalOnly });
  await assert.rejects(trainExpertStep.run(empty.ctx), /no items in the train split/);

  const bad = await makeContext(fx.root, {
    role: 'base',
    model: fx.model,
    cache: fx.cache,
    strength: 0.0005,
  });
  await assert.rejects(trainExpertStep.run(bad.ctx), /leaves the refiner no timesteps/);
});

test('a timestep bias reaches the trainer and training.json; one the schedule cannot hold, or with flow matching, is refused', async () => {
  const w: TrainExpertWith = {
    role: 'base',
    model: fx.model,
    cache: fx.cache,
    steps: 2,
    batch_size: 2,
    checkpoint_every: 2,
    timestep_bias_strategy: 'range',
    timestep_bias_begin: 350,
    timestep_bias_end: 650,
    timestep_bias_multiplier: 2,
  };
  const c = await resolveTrainConfig(w, fx.root, 1);
  assert.deepEqual(c.timestepBias, { strategy: 'range', multiplier: 2, begin: 350, end: 650 });
  const later = await resolveTrainConfig({ ...w, timestep_bias_strategy: 'later' }, fx.root, 1);
  assert.deepEqual(
    later.timestepBias,
    { strategy: 'later', multiplier: 2, portion: 0.25 },
    "SimpleTuner's portion",
  );
  const none = await resolveTrainConfig({ role: 'base', model: fx.model, cache: fx.cache }, fx.root, 1);
  assert.equal(none.timestepBias, undefined);

  const run = await makeContext(fx.root, w);
  await trainExpertStep.run(run.ctx);
  const record = JSON.parse(await readFile(join(run.ctx.outDir, 'training.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(record['timestep_bias_strategy'], 'range');
  assert.equal(record['timestep_bias_begin'], 350);

  await assert.rejects(
    resolveTrainConfig({ ...w, timestep_bias_begin: 1000, timestep_bias_end: 1100 }, fx.root, 1),
    /timestep_bias_begin: 1000 is past the schedule's last timestep 999/,
  );
  await assert.rejects(
    resolveTrainConfig({ ...w, objective: 'flow_matching', boundary: 0.9 }, fx.root, 1),
    /timestep_bias_strategy: not used with objective: flow_matching/,
  );
});
