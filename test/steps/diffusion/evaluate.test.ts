import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fakeClip } from '../../workflow/clip-helpers.js';
import { writePng } from '../../../src/imaging/index.js';
import { runEvaluate } from '../../../src/steps/diffusion/evaluate/index.js';
import type { EvaluateWith } from '../../../src/steps/diffusion/evaluate/index.js';
import { countingSessions, evaluateFixture, makeContext, squareImage, unetRuns } from './helpers.js';

interface Bands {
  readonly base_band: number;
  readonly refiner_band: number;
  readonly full: number;
  readonly per_timestep: readonly number[];
}
interface Results {
  readonly items: number;
  readonly timesteps: readonly number[];
  readonly bands: { base: { min: number; max: number }; refiner: { min: number; max: number } };
  readonly loss: { base: Bands; refiner: Bands; composed: Bands };
  readonly adherence: {
    scorer?: string;
    skipped?: string;
    rule?: string;
    checks?: string[];
    check_labels?: { key: string; label: string; short: string }[];
    stages?: Record<
      string,
      {
        images: number;
        adherent_images: number;
        adherent: number;
        mean: number;
        checks: Record<string, number>;
      }
    >;
    images?: {
      file: string;
      score: number;
      adherent: boolean;
      checks: Record<string, boolean>;
      seen?: Record<string, string | null>;
      reading?: string;
    }[];
  };
  readonly clip_score: { skipped?: string; stages?: Record<string, { images: number; mean: number }> };
}

async function evaluate(root: string, w: EvaluateWith) {
  const { ctx, logs } = await makeContext(root, w);
  const sessions = countingSessions();
  const r = await runEvaluate(ctx, { sessions: sessions.factory });
  const results = JSON.parse(await readFile(join(ctx.outDir, 'results.json'), 'utf8')) as Results;
  return { results, summary: r.summary, runs: sessions.runs, logs };
}

test('evaluate: loss per band for each expert, the pair routed by timestep, reproducible', async () => {
  const f = await evaluateFixture();
  const w: EvaluateWith = {
    model: f.model,
    cache: f.cache,
    base: join(f.model, 'unet'),
    refiner: join(f.other, 'unet'),
    eval_timesteps: 5,
    strength: 0.35,
  };
  const a = await evaluate(f.root, w);
  const r = a.results;
  assert.equal(r.items, 2, 'the eval split only');
  assert.deepEqual(r.timesteps, [0, 250, 500, 749, 999]);
  assert.deepEqual(r.bands, { base: { min: 350, max: 999 }, refiner: { min: 0, max: 349 } });
  // Two experts, 5 timesteps, the 2 items in one batch each.
  assert.deepEqual(unetRuns(a.runs), [5, 5]);
  const { base, refiner, composed } = r.loss;
  assert.notDeepEqual(base.per_timestep, refiner.per_timestep, 'different experts, different losses');
  assert.deepEqual(composed.per_timestep, [
    refiner.per_timestep[0],
    refiner.per_timestep[1],
    base.per_timestep[2],
    base.per_timestep[3],
    base.per_timestep[4],
  ]);
  assert.equal(composed.base_band, base.base_band);
  assert.equal(composed.refiner_band, refiner.refiner_band);
  assert.ok(
    Math.abs(base.base_band - (base.per_timestep[2]! + base.per_timestep[3]! + base.per_timestep[4]!) / 3) <
      1e-5,
  );
  assert.equal(r.adherence.skipped, 'no compose.inference images given (with.images)');
  assert.equal(r.clip_score.skipped, 'no CLIP model configured (with.clip)');
  assert.deepEqual(
    [a.summary?.['unets_converted'], a.summary?.['unets_reused'], a.summary?.['embeddings_reused']],
    [2, 0, 2],
    'two diffusers experts converted to ONNX; the two items read from the embedding cache',
  );

  const again = await evaluate(f.root, w);
  assert.deepEqual(again.results.loss, r.loss, 'fixed noise and timesteps: the same numbers');
  assert.deepEqual([again.summary?.['unets_converted'], again.summary?.['unets_reused']], [0, 2]);
  const otherSeed = await evaluate(f.root, { ...w, seed: 5 });
  assert.notDeepEqual(otherSeed.results.loss.base.per_timestep, r.loss.base.per_timestep);
});

/**
 * A compose.inference-shaped output under ROOT/compose (index.json + images/): a red square on blue
 * (composed) and a green one (base), both for the prompt "a red square on a blue background".
 */
async function writeComposeOutput(root: string): Promise<string> {
  const composeOut = join(root, 'compose');
  await mkdir(join(composeOut, 'images', 'composed'), { recursive: true });
  await mkdir(join(composeOut, 'images', 'base'), { recursive: true });
  await writePng(
    join(composeOut, 'images', 'composed', 'p0.png'),
    squareImage(64, [220, 40, 40], [40, 80, 220]),
  );
  await writePng(join(composeOut, 'images', 'base', 'p0.png'), squareImage(64, [40, 170, 60], [40, 80, 220]));
  const prompt = 'a red square on a blue background';
  await writeFile(
    join(composeOut, 'index.json'),
    JSON.stringify({
      images: [
        { prompt, seed: 0, stage: 'composed', file: 'composed/p0.png' },
        { prompt, seed: 0, stage: 'base', file: 'base/p0.png' },
      ],
    }),
  );
  return join(composeOut, 'index.json');
}

/** The synthetic-shapes plugin's scorer, by module and export: colour, shape and background checks. */
async function assertShapesScorer(root: string, w: EvaluateWith): Promise<void> {
  const shapes = resolve('plugins/synthetic-shapes');
  const byModule = await evaluate(root, { ...w, scorer: { module: shapes, export: 'scoreAdherence' } });
  const adh = byModule.results.adherence;
  assert.deepEqual(adh.checks, ['color', 'shape', 'background']);
  assert.deepEqual(
    adh.stages?.['composed'],
    {
      images: 1,
      adherent_images: 1,
      adherent: 1,
      mean: 1,
      checks: { color: 1, shape: 1, background: 1 },
    },
    'a red square on blue, as asked',
  );
  const base = adh.stages?.['base'];
  assert.deepEqual(
    [base?.adherent, base?.checks],
    [0, { color: 0, shape: 1, background: 1 }],
    'a green square on blue: two of three checks hold, so the image does not adhere',
  );
  assert.ok(Math.abs((base?.mean ?? 0) - 2 / 3) < 1e-9, 'the mean score gives partial credit');
  assert.deepEqual(adh.images?.[1]?.checks, { color: false, shape: true, background: true });
  assert.deepEqual(adh.images?.[1]?.seen, { background: 'blue', colour: 'green', shape: 'square' });
  assert.equal(adh.images?.[1]?.reading, 'a green square on blue', "the plugin's phrase for what it read");
  assert.deepEqual(
    adh.check_labels?.map((l) => [l.key, l.label, l.short]),
    [
      ['shape', 'shape', 'shape'],
      ['color', 'shape colour', 'colour'],
      ['background', 'background colour', 'background'],
    ],
    'the plugin labels its checks in results.json, for the report',
  );
  assert.equal(adh.images?.[1]?.adherent, false);
  assert.equal(byModule.summary?.['adherence_base'], 0);
  assert.equal(byModule.summary?.['adherence_base_shape'], 1);
  assert.equal(byModule.summary?.['adherence_base_color'], 0);
  assert.equal(byModule.summary?.['adherence_base_mean'], 0.6667);
}

/** Strict: a score just under 1, or 1 with a failed check, does not adhere. */
async function assertStrictScorer(root: string, w: EvaluateWith): Promise<void> {
  await writeFile(
    join(root, 'strict.mjs'),
    'export const score = (img) => img.data[(32 * 64 + 32) * 3] > 200\n' +
      '  ? { score: 1, checks: { red: true, lit: false } } : { score: 0.999, checks: { red: true } };\n',
  );
  const strict = await evaluate(root, { ...w, scorer: { module: 'strict.mjs' } });
  const strictStages = strict.results.adherence.stages ?? {};
  assert.deepEqual(
    Object.values(strictStages).map((s) => [s.adherent, s.checks]),
    [
      [0, { red: 1, lit: 0 }],
      [0, { red: 1, lit: 0 }],
    ],
  );
}

test('evaluate scores compose images with a plugin scorer, by name or by module and export', async () => {
  const f = await evaluateFixture();
  const index = await writeComposeOutput(f.root);
  await mkdir(join(f.root, 'plugins', 'redness'), { recursive: true });
  await writeFile(
    join(f.root, 'plugins', 'redness', 'index.mjs'),
    'export const steps = [];\n' +
      'export const scorers = { redness: (img) => ({ score: img.data[(32 * 64 + 32) * 3] > 200 ? 1 : 0 }) };\n',
  );
  const w: EvaluateWith = {
    model: f.model,
    cache: f.cache,
    base: join(f.model, 'unet'),
    refiner: join(f.model, 'unet'),
    eval_timesteps: 2,
    images: index,
    scorer: 'redness',
  };
  const byName = await evaluate(f.root, w);
  assert.deepEqual(byName.results.adherence.stages, {
    composed: { images: 1, adherent_images: 1, adherent: 1, mean: 1, checks: {} },
    base: { images: 1, adherent_images: 0, adherent: 0, mean: 0, checks: {} },
  });
  assert.equal(byName.summary?.['adherence_composed'], 1);
  assert.equal(byName.summary?.['unets_reused'], 1, 'the refiner is the same UNet: converted once');

  await assertShapesScorer(f.root, w);
  await assertStrictScorer(f.root, w);
  await assert.rejects(evaluate(f.root, { ...w, scorer: 'nope' }), /no scorer named nope \(known: redness\)/);

  const withClip = await evaluate(f.root, { ...w, clip: await fakeClip(f.root) });
  const clip = withClip.results.clip_score.stages;
  assert.deepEqual(Object.keys(clip ?? {}), ['composed', 'base']);
  assert.ok((clip?.['composed']?.mean ?? -1) >= 0 && (clip?.['composed']?.mean ?? 101) <= 100);
  assert.equal(withClip.summary?.['clip_composed'], clip?.['composed']?.mean);
});
