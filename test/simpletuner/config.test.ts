import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSimpleTunerFiles } from '../../src/steps/train/simpletuner/config.js';
import type { SimpleTunerSpec } from '../../src/steps/train/simpletuner/spec.js';
import { referencePath } from '../fixtures/reference-data.js';

const optionNames = new Set(
  readFileSync(referencePath('simpletuner', 'options.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0] ?? '')
    .filter((name) => name !== '')
    .map((name) => name.replace(/^--/, '')),
);

function spec(role: 'base' | 'refiner', over: Partial<SimpleTunerSpec> = {}): SimpleTunerSpec {
  return {
    role,
    strength: 0.35,
    model: '/models/ssd-1b',
    dataDir: '/data/images',
    outputDir: `/ws/st/${role}`,
    cacheDir: '/ws/cache/text',
    cacheDirVae: '/ws/cache/vae',
    configDir: `/ws/st/${role}-config`,
    learningRate: 1e-5,
    batchSize: 4,
    gradientAccumulation: 2,
    gradientCheckpointing: true,
    steps: 7600,
    checkpointEvery: 500,
    seed: 42,
    predictionType: 'v_prediction',
    zeroSnr: true,
    timestepSpacing: 'trailing',
    maxGradNorm: 1,
    snrGamma: 5,
    emaDecay: 0.999,
    weightDecay: 0.01,
    lrScheduler: 'cosine',
    lrWarmupSteps: 100,
    validationUsingDatasets: true,
    ...over,
  };
}

function build(s: SimpleTunerSpec) {
  const r = buildSimpleTunerFiles(s);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

test('every option written exists in SimpleTuner, for both roles', () => {
  assert.ok(optionNames.size > 500, 'options.tsv was read');
  for (const role of ['base', 'refiner'] as const) {
    const keys = Object.keys(build(spec(role)).config);
    const unknown = keys.filter((k) => !optionNames.has(k));
    assert.deepEqual(unknown, [], `${role}: unknown options ${unknown.join(', ')}`);
    assert.ok(keys.length >= 25, `${role} writes the full set (${keys.length})`);
  }
});

test('refiner flags: the base inverts the schedule, the refiner does not; both share the strength', () => {
  const base = build(spec('base')).config;
  const refiner = build(spec('refiner')).config;
  assert.equal(base.refiner_training, true);
  assert.equal(refiner.refiner_training, true);
  assert.equal(base.refiner_training_invert_schedule, true);
  assert.equal(refiner.refiner_training_invert_schedule, false);
  assert.equal(base.refiner_training_strength, 0.35);
  assert.equal(refiner.refiner_training_strength, 0.35);
});

test('pipeline settings map to SimpleTuner options', () => {
  const c = build(spec('base')).config;
  assert.equal(c.prediction_type, 'v_prediction');
  assert.equal(c.rescale_betas_zero_snr, true);
  assert.equal(c.training_scheduler_timestep_spacing, 'trailing');
  assert.equal(c.learning_rate, 1e-5);
  assert.equal(c.train_batch_size, 4);
  assert.equal(c.gradient_accumulation_steps, 2);
  assert.equal(c.gradient_checkpointing, true);
  assert.equal(c.max_train_steps, 7600);
  assert.equal(c.checkpoint_step_interval, 500);
  assert.equal(c.seed, 42);
  assert.equal(c.pretrained_model_name_or_path, '/models/ssd-1b');
  assert.equal(c.output_dir, '/ws/st/base');
  assert.equal(c.resume_from_checkpoint, 'latest');
  assert.equal(c.use_ema, true);
  assert.equal(c.data_backend_config, '/ws/st/base-config/multidatabackend.json');
});

test("the pipeline's timestep spacing is SimpleTuner's inference spacing too (its validation images)", () => {
  // SimpleTuner's inference default is trailing: a pipeline that samples with leading must say so.
  const c = build(spec('refiner', { timestepSpacing: 'leading' })).config;
  assert.equal(c.training_scheduler_timestep_spacing, 'leading');
  assert.equal(c.inference_scheduler_timestep_spacing, 'leading');
  const { timestepSpacing: _, ...noSpacing } = spec('refiner');
  const unset = build(noSpacing).config;
  assert.equal(unset.inference_scheduler_timestep_spacing, undefined);
});

test("a timestep bias is written as SimpleTuner's --timestep_bias_* options, and none when there is none", () => {
  const later = build(
    spec('base', { timestepBias: { strategy: 'later', multiplier: 2, portion: 0.3 } }),
  ).config;
  assert.equal(later.timestep_bias_strategy, 'later');
  assert.equal(later.timestep_bias_multiplier, 2);
  assert.equal(later.timestep_bias_portion, 0.3);
  assert.equal(later.timestep_bias_begin, undefined);
  const range = build(
    spec('base', { timestepBias: { strategy: 'range', multiplier: 2, begin: 350, end: 650 } }),
  ).config;
  assert.deepEqual(
    [
      range.timestep_bias_strategy,
      range.timestep_bias_begin,
      range.timestep_bias_end,
      range.timestep_bias_portion,
    ],
    ['range', 350, 650, undefined],
  );
  const names = Object.keys(range).filter((k) => k.startsWith('timestep_bias'));
  assert.deepEqual(
    names.filter((k) => !optionNames.has(k)),
    [],
    'every key is a SimpleTuner option',
  );
  assert.equal(
    Object.keys(build(spec('base')).config).filter((k) => k.startsWith('timestep_bias')).length,
    0,
  );
});

test('both experts share absolute caches but keep their own output_dir', () => {
  const base = build(spec('base'));
  const refiner = build(spec('refiner'));
  const caches = (f: typeof base) => ({
    vae: f.databackend.find((d) => d.cache_dir_vae !== undefined)?.cache_dir_vae,
    text: f.databackend.find((d) => d.dataset_type === 'text_embeds')?.cache_dir,
  });
  assert.deepEqual(caches(base), { vae: '/ws/cache/vae', text: '/ws/cache/text' });
  assert.deepEqual(caches(refiner), caches(base));
  assert.notEqual(base.config.output_dir, refiner.config.output_dir);
  // dataset.images' buckets are about resolution² pixels, already cropped: SimpleTuner's pixel_area, no crop.
  const images = base.databackend.find((d) => d['dataset_type'] === undefined);
  assert.match(String(images?.['id']), /^images-[0-9a-f]{12}$/);
  // The same data backend config, the same id (bucket metadata shared); another resolution, another id.
  assert.equal(refiner.databackend[0]?.['id'], images?.['id']);
  const other = build(spec('refiner', { resolution: 768, cacheDirVae: '/ws/cache768/vae' })).databackend[0];
  assert.notEqual(other?.['id'], images?.['id']);
  assert.equal(images?.['resolution_type'], 'pixel_area');
  assert.equal(images?.['crop'], false);
  assert.equal(base.config.caption_dropout_probability, 0, "SimpleTuner's own default is 0.1");
  const relative = buildSimpleTunerFiles(spec('base', { cacheDirVae: 'cache/vae' }));
  assert.equal(relative.ok, false);
});

test('warns where SimpleTuner differs from the pipeline', () => {
  const w = build(spec('base', { batchSize: 1, snrGamma: 4.5 })).warnings.join('\n');
  assert.match(w, /batch_size 1.*0\.\.999/);
  assert.match(w, /fixed strength of 0\.2/);
  assert.match(w, /snr_gamma 4\.5/);
  assert.match(w, /0\/0/);
  const quiet = build(spec('refiner', { validationUsingDatasets: false, zeroSnr: false })).warnings;
  assert.deepEqual(quiet, []);
  const sample = buildSimpleTunerFiles(spec('base', { predictionType: 'sample' }));
  assert.ok(!sample.ok && /NotImplementedError/.test(sample.error));
});

test('clipping, precision and validation mean the same on both backends: written explicitly', () => {
  const { maxGradNorm: _dropped, ...noClip } = spec('base');
  const unset = build(noClip).config;
  // SimpleTuner's own defaults (max_grad_norm 2.0 per element, bf16, validation at 256 px) never decide silently.
  assert.equal(unset.max_grad_norm, 0, 'no max_grad_norm: no clipping, as on the built-in backend');
  assert.equal(unset.grad_clip_method, 'norm');
  assert.equal(unset.mixed_precision, 'bf16');
  assert.equal(unset.validation_resolution, 1024);
  const seed = build(
    spec('base', { maxGradNorm: 2, gradClipMethod: 'value', mixedPrecision: 'no', resolution: 768 }),
  );
  assert.equal(seed.config.max_grad_norm, 2);
  assert.equal(seed.config.grad_clip_method, 'value');
  assert.equal(seed.config.mixed_precision, 'no');
  assert.equal(seed.config.validation_resolution, 768);
  assert.equal(seed.config.resolution, 768);
  assert.ok(!seed.warnings.some((w) => /max_grad_norm/.test(w)));
});

test('validation settings map to SimpleTuner options; more than one prompt goes to a prompt library', () => {
  const f = build(
    spec('refiner', {
      validation: {
        every: 250,
        prompts: ['a lighthouse', 'a bowl of peaches', 'an old fisherman'],
        negativePrompt: 'blurry',
        guidanceScale: 9.2,
        guidanceRescale: 0.7,
        steps: 40,
        seed: 3,
      },
    }),
  );
  const c = f.config;
  assert.equal(c.validation_step_interval, 250);
  assert.equal(c.validation_prompt, 'a lighthouse');
  assert.equal(c.validation_negative_prompt, 'blurry');
  assert.equal(c.validation_guidance, 9.2);
  assert.equal(c.validation_guidance_rescale, 0.7);
  assert.equal(c.validation_num_inference_steps, 40);
  assert.equal(c.validation_seed, 3);
  assert.equal(c.user_prompt_library, '/ws/st/refiner-config/user_prompt_library.json');
  assert.deepEqual(f.promptLibrary, { prompt_2: 'a bowl of peaches', prompt_3: 'an old fisherman' });
  for (const k of Object.keys(c)) assert.ok(optionNames.has(k), `unknown option ${k}`);
  const one = build(spec('refiner', { validation: { prompts: ['a lighthouse'] } }));
  assert.equal(one.promptLibrary, undefined);
  assert.equal(one.config.user_prompt_library, undefined);
});
