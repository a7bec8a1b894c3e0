import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifierFreeGuidance, guide, rescaleNoiseCfg, stageTimeIds } from '../../src/diffusion/index.js';
import { assertClose, assertExact, reference } from './reference.js';

const data = reference<{
  rescale_noise_cfg_example: Record<string, unknown> & {
    guidance_scale: number;
    noise_pred_uncond: number[];
    noise_pred_text: number[];
    results: Record<string, number[]>;
  };
  add_time_ids: Record<string, unknown>;
}>('sdxl_pipeline.json');

test('CFG and guidance_rescale (unbiased std per batch element, batch order [uncond, cond]) match diffusers', () => {
  const ex = data.rescale_noise_cfg_example;
  const batched = Float32Array.from([...ex.noise_pred_uncond, ...ex.noise_pred_text]);
  const cfg = classifierFreeGuidance(batched, ex.guidance_scale);
  assertClose(cfg, ex['noise_cfg = uncond + gs*(text-uncond)'] as number[], 'cfg');
  for (const [phi, expected] of Object.entries(ex.results)) {
    assertClose(guide(batched, ex.guidance_scale, Number(phi), 2), expected, `guidance_rescale ${phi}`);
  }
  // The biased std (n) would not reproduce diffusers: the example's two stds differ by √(16/15).
  const cond = Float32Array.from(ex.noise_pred_text);
  const biasedRatio =
    (ex['std_text_per_sample(unbiased, n-1)'] as number[])[0]! /
    (ex['std_text_per_sample_biased_for_contrast'] as number[])[0]!;
  assert.ok(Math.abs(biasedRatio - Math.sqrt(16 / 15)) < 1e-6);
  assertClose(rescaleNoiseCfg(cfg, cond, 1, 2), ex.results['1.0']!, 'rescale φ = 1');
});

test('guidance rescale by hand on a batch of one (not in the files)', () => {
  const cfg = Float32Array.of(1, 3);
  const cond = Float32Array.of(0, 1);
  // std(cfg) = √2, std(cond) = √0.5 (unbiased, n − 1 = 1) → ratio 0.5; φ = 0.5 → 0.75·cfg
  assertClose(rescaleNoiseCfg(cfg, cond, 0.5), [0.75, 2.25], 'rescaled');
  assert.throws(() => classifierFreeGuidance(Float32Array.of(1, 2, 3), 7), /even length/);
});

const ids = data.add_time_ids as Record<string, unknown>;
const row = (v: unknown) => (v as number[][])[0]!;

test('time_ids: base 6 values, SDXL refiner 5 values with aesthetic scores, img2img without aesthetics as diffusers builds them', () => {
  assertExact(
    stageTimeIds('base', { originalSize: [1024, 1024] }).positive,
    row(ids['base_1024']),
    'base 1024',
  );
  assertExact(
    stageTimeIds('base', { originalSize: [896, 1152], cropTopLeft: [32, 64], targetSize: [1024, 1536] })
      .positive,
    row(ids['base_example(original=(896,1152),crop=(32,64),target=(1024,1536))']),
    'base example',
  );
  const refiner1024 = ids['refiner_1024(aesthetic 6.0/2.5)'] as Record<string, unknown>;
  const r = stageTimeIds('refiner-aesthetic', { originalSize: [1024, 1024] });
  assertExact(r.positive, row(refiner1024['add_time_ids']), 'refiner positive');
  assertExact(r.negative, row(refiner1024['add_neg_time_ids']), 'refiner negative');
  const options = {
    originalSize: [896, 1152],
    cropTopLeft: [32, 64],
    targetSize: [1024, 1536],
    negativeOriginalSize: [512, 512],
    negativeCropTopLeft: [8, 16],
    negativeTargetSize: [640, 640],
  } as const;
  const refEx = ids[
    'refiner_example(original=(896,1152),crop=(32,64),target=(1024,1536),neg_orig=(512,512),neg_crop=(8,16),neg_target=(640,640))'
  ] as Record<string, unknown>;
  const rEx = stageTimeIds('refiner-aesthetic', options);
  assertExact(rEx.positive, row(refEx['add_time_ids']), 'refiner example positive');
  assertExact(rEx.negative, row(refEx['add_neg_time_ids']), 'refiner example negative');
  const i2i = ids['img2img_with_base_unet_no_aesthetics(same args)'] as Record<string, unknown>;
  const iEx = stageTimeIds('img2img', options);
  assertExact(iEx.positive, row(i2i['add_time_ids']), 'img2img positive');
  assertExact(iEx.negative, row(i2i['add_neg_time_ids']), 'img2img negative (positive crop)');
  assertExact(
    stageTimeIds('base', options).negative,
    [512, 512, 8, 16, 640, 640],
    'text-to-image negative uses its own crop',
  );
});
