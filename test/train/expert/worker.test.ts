// trainExpertInWorker against trainExpert in this thread: the same settings and seed must give the same
// bytes (weights, metrics), progress must arrive, an abort must stop the thread at a step boundary with
// the signal's reason, and a user error must come back as the same message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressUpdate } from '../../../src/contract/step.js';
import { resolveTrainConfig } from '../../../src/steps/train/index.js';
import type { TrainExpertWith } from '../../../src/steps/train/index.js';
import { trainExpert, trainExpertInWorker, trainExpertParallel } from '../../../src/train/expert/index.js';
import type { ExpertTrainingConfig, TrainIO } from '../../../src/train/expert/index.js';
import { capturingLog } from '../../steps/context.js';
import { trainingFixture } from '../../steps/train/helpers.js';

const fx = trainingFixture();

async function config(extra: Partial<TrainExpertWith> = {}): Promise<ExpertTrainingConfig> {
  const w: TrainExpertWith = {
    role: 'refiner',
    model: fx.model,
    cache: fx.cache,
    steps: 12,
    batch_size: 2,
    learning_rate: 2e-3,
    lr_scheduler: 'cosine',
    lr_warmup_steps: 2,
    ema_decay: 0.9,
    checkpoint_every: 4,
    seed: 7,
    ...extra,
  };
  return resolveTrainConfig(w, fx.root, 1);
}

interface Captured {
  readonly io: TrainIO;
  readonly logs: string[];
  readonly progress: ProgressUpdate[];
}

async function io(name: string, signal = new AbortController().signal): Promise<Captured> {
  const logs: string[] = [];
  const progress: ProgressUpdate[] = [];
  return {
    io: {
      checkpointDir: await mkdtemp(join(fx.root, `${name}-ckpt-`)),
      outDir: await mkdtemp(join(fx.root, `${name}-out-`)),
      signal,
      log: capturingLog(logs),
      progress: (u) => progress.push(u),
    },
    logs,
    progress,
  };
}

const read = (dir: string, path: string): Promise<Buffer> => readFile(join(dir, path));

test('a worker thread trains to the same weight bytes, metrics and loss as this thread', async () => {
  const c = await config();
  const here = await io('here');
  const there = await io('there');
  const a = await trainExpert(c, here.io);
  const b = await trainExpertInWorker(c, there.io);
  assert.ok(a.ok && b.ok, `${a.ok ? '' : a.error} ${b.ok ? '' : b.error}`);
  assert.equal(b.value.steps, 12);
  assert.equal(b.value.finalLoss, a.value.finalLoss);
  assert.equal(b.value.smoothedLoss, a.value.smoothedLoss);
  for (const file of ['unet/diffusion_pytorch_model.safetensors', 'onnx/model.onnx', 'metrics.jsonl']) {
    assert.ok(
      (await read(here.io.outDir, file)).equals(await read(there.io.outDir, file)),
      `${file} differs between the worker and this thread`,
    );
  }
  // Progress reached the host: one update per step, the last naming step 12 and its loss.
  const steps = there.progress.filter((u) => u.done !== undefined);
  assert.deepEqual(
    steps.map((u) => u.done),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.equal(steps.at(-1)?.metrics?.['loss'], b.value.finalLoss);
  assert.match(String(steps.at(-1)?.message), /^step 12\/12 loss \d\.\d{4} lr .* steps\/s$/);
});

test('an abort stops the worker at a step boundary, rejects with the reason and leaves a checkpoint to resume', async () => {
  const c = await config({ steps: 400, checkpoint_every: 2 });
  const controller = new AbortController();
  const run = await io('abort', controller.signal);
  const wrapped: TrainIO = {
    ...run.io,
    progress: (u) => {
      run.progress.push(u);
      if (u.done === 5) controller.abort(new Error('interrupted (SIGINT)'));
    },
  };
  await assert.rejects(trainExpertInWorker(c, wrapped), /^Error: interrupted \(SIGINT\)$/);
  const last = run.progress.filter((u) => u.done !== undefined).at(-1)?.done ?? 0;
  assert.ok(last >= 5 && last < 400, `the worker stopped after step ${last}`);
  assert.ok((await readdir(run.io.checkpointDir)).some((n) => n.startsWith('step-')));
  assert.deepEqual(await readdir(run.io.outDir), [], 'an aborted run writes no outputs');
});

test('a user error comes back as the message this thread gives, without a stack', async () => {
  const c = { ...(await config()), cacheDir: join(fx.root, 'no-such-cache') };
  const a = await trainExpert(c, (await io('bad-here')).io);
  const b = await trainExpertInWorker(c, (await io('bad-there')).io);
  assert.ok(!a.ok && !b.ok);
  assert.equal(b.error, a.error);
  assert.match(b.error, /no-such-cache/);
});

test('two experts started together train on two threads, the same bytes as one after the other', async () => {
  const base = await config({ role: 'base', steps: 6 });
  const refiner = await config({ steps: 6 });
  const alone = [await io('alone-base'), await io('alone-refiner')];
  await trainExpert(base, (alone[0] as Captured).io);
  await trainExpert(refiner, (alone[1] as Captured).io);
  const together = [await io('together-base'), await io('together-refiner')];
  const [a, b] = await Promise.all([
    trainExpertParallel(base, (together[0] as Captured).io),
    trainExpertParallel(refiner, (together[1] as Captured).io),
  ]);
  assert.ok(a?.ok && b?.ok);
  const onWorker = together.map((t) => t.logs.some((l) => l.includes('training on a worker thread')));
  assert.deepEqual(onWorker, [false, true], 'the second expert goes to a worker thread');
  for (const k of [0, 1]) {
    const file = 'unet/diffusion_pytorch_model.safetensors';
    const x = await read((alone[k] as Captured).io.outDir, file);
    assert.ok(x.equals(await read((together[k] as Captured).io.outDir, file)), `expert ${k} differs`);
  }
  // The main thread is free again: the next expert trains on it.
  const next = await io('next');
  assert.ok((await trainExpertParallel(base, next.io)).ok);
  assert.ok(!next.logs.some((l) => l.includes('worker thread')));
});
