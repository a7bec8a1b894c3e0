import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../../../src/contract/step.js';
import { runCompose } from '../../../src/steps/diffusion/compose/index.js';
import type { ComposeWith } from '../../../src/steps/diffusion/compose/index.js';
import { runEvaluate } from '../../../src/steps/diffusion/evaluate/index.js';
import type { EvaluateWith } from '../../../src/steps/diffusion/evaluate/index.js';
import { sessionLanes } from '../../../src/workflow/expert-session.js';
import { countingSessions, evaluateFixture, makeContext, tempRoot, tinyModel } from './helpers.js';

/** The step's context with a CPU share of `cpu` (a node's `resources: { cpu }`). */
async function withCpu<W>(root: string, w: W, cpu: number): Promise<{ ctx: StepContext<W>; logs: string[] }> {
  const { ctx, logs } = await makeContext(root, w);
  return { ctx: { ...ctx, resources: { ...ctx.resources, cpu } }, logs };
}

/** Every file under `dir`, by relative path, with its bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.set(path.slice(dir.length + 1), await readFile(path));
  }
  return out;
}

test("sessionLanes: one lane per whole core up to the step's wish, on the CPU only, never with a given factory", () => {
  assert.equal(sessionLanes('cpu', 1, undefined, 2), 1);
  assert.equal(sessionLanes('cpu', 2, undefined, 2), 2);
  assert.equal(sessionLanes('cpu', 8, undefined, 2), 2);
  assert.equal(sessionLanes('cpu', 1.5, undefined, 2), 1);
  assert.equal(sessionLanes('cuda', 4, undefined, 2), 1);
  assert.equal(sessionLanes('cpu', 4, countingSessions().factory, 2), 1);
});

test('compose.inference with a CPU share of 2 samples on two threads and writes the bytes one thread writes', async () => {
  const root = await tempRoot();
  const model = await tinyModel(root, 1);
  const other = await tinyModel(root, 2);
  const w: ComposeWith = {
    model,
    base: join(model, 'unet'),
    refiner: join(other, 'unet'),
    scheduler: 'unipc',
    steps: 5,
    split: 0.6,
    guidance_scale: 3,
    prompts: ['a red circle on a blue background', 'a green square', 'a white cross'],
    seeds: [0, 1],
    width: 32,
    height: 32,
  };
  const one = await withCpu(root, w, 1);
  const two = await withCpu(root, w, 2);
  await runCompose(one.ctx);
  const b = await runCompose(two.ctx);
  assert.ok(!one.logs.some((l) => l.includes('threads at once')), one.logs.join('\n'));
  assert.ok(
    two.logs.some((l) => l.includes('sampling 6 runs on 2 threads at once')),
    two.logs.join('\n'),
  );
  assert.equal(b.summary?.['images'], 12, 'composed and base-only images of 3 prompts × 2 seeds');
  const fa = await files(one.ctx.outDir);
  const fb = await files(two.ctx.outDir);
  assert.equal(fa.size, 13, [...fa.keys()].join(' '));
  assert.deepEqual([...fb.keys()].sort(), [...fa.keys()].sort());
  for (const [path, bytes] of fa) assert.ok(bytes.equals(fb.get(path) as Buffer), `${path} differs`);
  const pngs = [...fa.entries()].filter(([p]) => p.endsWith('.png')).map(([, b]) => b.toString('hex'));
  assert.equal(new Set(pngs).size, pngs.length, 'every run its own image: no lane repeated another');
});

test('evaluate with a CPU share of 2 computes both experts at once and writes the results one thread writes', async () => {
  const { root, model, other, cache } = await evaluateFixture();
  const w: EvaluateWith = {
    model,
    cache,
    base: join(model, 'unet'),
    refiner: join(other, 'unet'),
    eval_timesteps: 6,
    strength: 0.35,
  };
  const one = await withCpu(root, w, 1);
  const two = await withCpu(root, w, 2);
  const ticks: number[] = [];
  const a = await runEvaluate(one.ctx);
  const b = await runEvaluate({ ...two.ctx, progress: (u) => ticks.push(u.done ?? -1) });
  const results = (ctx: StepContext<EvaluateWith>) => readFile(join(ctx.outDir, 'results.json'), 'utf8');
  const ra = await results(one.ctx);
  assert.equal(await results(two.ctx), ra);
  assert.deepEqual(b.metrics, a.metrics);
  const loss = (JSON.parse(ra) as { loss: { base: { full: number }; refiner: { full: number } } }).loss;
  assert.notEqual(loss.base.full, loss.refiner.full, 'two different experts');
  assert.deepEqual(ticks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'progress counts both experts once');
});
