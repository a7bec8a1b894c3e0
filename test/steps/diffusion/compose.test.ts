import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRgb } from '../../../src/imaging/index.js';
import { runCompose } from '../../../src/steps/diffusion/compose/index.js';
import type { ComposeWith } from '../../../src/steps/diffusion/compose/index.js';
import { countingSessions, makeContext, tempRoot, tinyModel, unetRuns } from './helpers.js';

interface Index {
  readonly base_steps: number;
  readonly refiner_steps: number;
  readonly images: readonly { prompt: string; seed: number; stage: string; file: string }[];
}

async function compose(root: string, w: ComposeWith) {
  const { ctx } = await makeContext(root, w);
  const sessions = countingSessions();
  await runCompose(ctx, { sessions: sessions.factory });
  const index = JSON.parse(await readFile(join(ctx.outDir, 'index.json'), 'utf8')) as Index;
  const png = (file: string) => readFile(join(ctx.outDir, 'images', file));
  return { index, png, runs: sessions.runs };
}

test('compose.inference: PNGs of the asked size, deterministic per seed; a DDIM split run equals the single run', async () => {
  const root = await tempRoot();
  const model = await tinyModel(root);
  const unet = join(model, 'unet');
  const w: ComposeWith = {
    model,
    base: unet,
    refiner: unet,
    scheduler: 'ddim',
    steps: 4,
    split: 0.5,
    guidance_scale: 3,
    prompts: ['a red circle on a blue background', { base: 'a green square', refiner: 'a green square' }],
    seeds: [1, 2],
    width: 32,
    height: 24,
  };
  const a = await compose(root, w);
  assert.equal(a.index.base_steps + a.index.refiner_steps, 4);
  assert.ok(a.index.base_steps > 0 && a.index.refiner_steps > 0);
  assert.deepEqual(
    a.index.images.map((i) => `${i.stage} ${i.seed} ${i.file}`),
    [
      'composed 1 composed/p0-s1.png',
      'base 1 base/p0-s1.png',
      'composed 2 composed/p0-s2.png',
      'base 2 base/p0-s2.png',
      'composed 1 composed/p1-s1.png',
      'base 1 base/p1-s1.png',
      'composed 2 composed/p1-s2.png',
      'base 2 base/p1-s2.png',
    ],
  );
  const img = await readRgb(await a.png('composed/p0-s1.png'));
  assert.deepEqual([img.width, img.height], [32, 24]);
  // Both experts are the same UNet and DDIM keeps no state across steps: the hand-off is exact.
  for (const f of ['p0-s1', 'p0-s2', 'p1-s1']) {
    assert.deepEqual(await a.png(`composed/${f}.png`), await a.png(`base/${f}.png`), f);
  }
  assert.notDeepEqual(await a.png('composed/p0-s1.png'), await a.png('composed/p0-s2.png'), 'seeds differ');
  // Guidance batches [uncond, cond]: one UNet call per step. 4 images: the base runs its 2 steps and the
  // whole 4-step schedule alone, the refiner its 2 steps.
  // Both experts are one UNet, converted to ONNX once and kept in the shared cache.
  assert.deepEqual(unetRuns(a.runs), [4 * (2 + 4) + 4 * 2]);

  const b = await compose(root, {
    ...w,
    prompts: ['a red circle on a blue background'],
    seeds: [2],
    base_only: false,
  });
  assert.deepEqual(
    b.index.images.map((i) => i.file),
    ['composed/p0-s2.png'],
  );
  assert.deepEqual(
    await b.png('composed/p0-s2.png'),
    await a.png('composed/p0-s2.png'),
    'same seed, same image',
  );
});

test('compose.inference with UniPC and a per-stage guidance runs both experts over the whole schedule', async () => {
  const root = await tempRoot();
  const model = await tinyModel(root);
  const w: ComposeWith = {
    model,
    base: join(model, 'unet'),
    refiner: join(model, 'unet', 'model.onnx'),
    steps: 5,
    split: 0.65,
    guidance_scale: { base: 4, refiner: 1 },
    guidance_rescale: 0.7,
    prompts: ['a red circle on a blue background'],
    base_only: false,
    width: 32,
    height: 32,
  };
  const { ctx, logs } = await makeContext(root, w);
  const sessions = countingSessions();
  const r = await runCompose(ctx, { sessions: sessions.factory });
  assert.equal(r.summary?.['images'], 1);
  const steps = Number(r.summary?.['base_steps']) + Number(r.summary?.['refiner_steps']);
  assert.ok(steps === 5 || steps === 6, `UniPC may give the refiner one extra step, got ${steps}`);
  assert.ok(
    logs.some((l) => l.includes('unipc, 5 steps, split 0.65')),
    logs.join('\n'),
  );
  // The diffusers base is converted to ONNX once; the ONNX refiner needs no conversion.
  assert.deepEqual([r.summary?.['unets_converted'], r.summary?.['unets_reused']], [1, 0]);
  const again = await runCompose((await makeContext(root, w)).ctx, { sessions: sessions.factory });
  assert.deepEqual([again.summary?.['unets_converted'], again.summary?.['unets_reused']], [0, 1]);
});

test("compose.inference with flow matching: Wan's hand-off is one sampler throughout, so a pair of one UNet equals the single run (flow_euler and UniPC's multistep history)", async () => {
  const root = await tempRoot();
  const model = await tinyModel(root);
  const unet = join(model, 'unet');
  for (const scheduler of ['flow_euler', 'unipc'] as const) {
    const a = await compose(root, {
      model,
      base: unet,
      refiner: unet,
      objective: 'flow_matching',
      boundary: 0.875,
      shift: 3,
      scheduler,
      steps: 8,
      guidance_scale: 3,
      prompts: ['a red circle on a blue background'],
      seeds: [1, 2],
      width: 32,
      height: 32,
    });
    // shift 3, 8 steps: σ = 1, 0.947, 0.883 are ≥ 0.875 (the high-noise expert's), the other 5 (0.800 …) are not.
    assert.deepEqual([a.index.base_steps, a.index.refiner_steps], [3, 5], scheduler);
    const index = a.index as unknown as Record<string, unknown>;
    assert.deepEqual([index.objective, index.boundary, index.shift], ['flow_matching', 0.875, 3]);
    // A fresh scheduler at the switch (the SDXL refiner's way) would drop UniPC's history and differ here.
    for (const f of ['p0-s1', 'p0-s2']) {
      assert.deepEqual(await a.png(`composed/${f}.png`), await a.png(`base/${f}.png`), `${scheduler} ${f}`);
    }
  }
});
