import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { importSimpleTuner, parseConfigEnv } from '../../src/import/simpletuner/index.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { builtinSteps } from '../../src/steps/builtin.js';
import { StepRegistry } from '../../src/steps/registry.js';
import { workflowRules } from '../../src/workflow/rules.js';

const common = {
  model_family: 'sdxl',
  model_type: 'full',
  pretrained_model_name_or_path: 'segmind/SSD-1B',
  refiner_training: true,
  refiner_training_strength: 0.35,
  prediction_type: 'epsilon',
  training_scheduler_timestep_spacing: 'trailing',
  learning_rate: 1e-5,
  train_batch_size: 4,
  gradient_accumulation_steps: 2,
  max_train_steps: 7600,
  checkpoint_step_interval: 500,
  seed: 7,
  optimizer: 'adamw_bf16',
  lora_rank: 16,
  resume_from_checkpoint: 'latest',
};

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'moe-import-'));
  const base = join(dir, 'base.json');
  const refiner = join(dir, 'refiner.json');
  const backends = join(dir, 'multidatabackend.json');
  writeFileSync(
    base,
    JSON.stringify({ ...common, '--refiner_training_invert_schedule': true, output_dir: '/o/base' }),
  );
  writeFileSync(refiner, JSON.stringify({ ...common, output_dir: '/o/refiner', learning_rate: 5e-6 }));
  writeFileSync(
    backends,
    JSON.stringify([
      {
        id: 'photos',
        type: 'local',
        instance_data_dir: '/data/photos',
        caption_strategy: 'textfile',
        resolution: 1024,
        resolution_type: 'pixel',
        crop: true,
        cache_dir_vae: '/cache/vae',
      },
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: '/cache/text' },
    ]),
  );
  return { dir, base, refiner, backends };
}

test('two stage configs and a data backend become a valid moe pipeline with the same settings', async () => {
  const f = setup();
  const r = await importSimpleTuner({
    config: f.base,
    stage2: f.refiner,
    databackend: f.backends,
    name: 'ssd',
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const doc = parse(r.value.yaml) as {
    params: Record<string, unknown>;
    nodes: Record<string, { step: string; with: Record<string, unknown> }>;
  };
  assert.deepEqual(doc.params, { model: 'segmind/SSD-1B', images: '/data/photos' });
  const base = doc.nodes.base?.with;
  const refiner = doc.nodes.refiner?.with;
  assert.equal(base?.role, 'base');
  assert.equal(refiner?.role, 'refiner');
  assert.equal(base?.learning_rate, 1e-5);
  assert.equal(refiner?.learning_rate, 5e-6);
  for (const w of [base, refiner]) {
    assert.equal(w?.strength, 0.35);
    assert.equal(w?.batch_size, 4);
    assert.equal(w?.gradient_accumulation, 2);
    assert.equal(w?.steps, 7600);
    assert.equal(w?.checkpoint_every, 500);
    assert.equal(w?.seed, 7);
    assert.equal(w?.timestep_spacing, 'trailing');
    assert.equal(w?.backend, 'simpletuner');
  }
  assert.equal(doc.nodes.dataset?.with.resolution, 1024);

  const options = r.value.notCarried.map((n) => n.option).sort();
  assert.deepEqual(options, ['lora_rank', 'lora_rank', 'optimizer', 'optimizer', 'photos.crop']);

  const registry = new StepRegistry();
  for (const s of await builtinSteps(['dataset.images', 'embeds.cache', 'train.expert'])) {
    registry.register(s, { origin: 'built-in' });
  }
  const loaded = loadPipelineText(join(f.dir, 'moe.yaml'), r.value.yaml, {
    steps: registry,
    rules: workflowRules,
  });
  assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.error.diagnostics.map((d) => d.message)));
});

test('a single config mirrors its settings to the other expert and says so', async () => {
  const f = setup();
  const r = await importSimpleTuner({ config: f.refiner });
  assert.ok(r.ok);
  const doc = parse(r.value.yaml) as { nodes: Record<string, { with: Record<string, unknown> }> };
  assert.equal(doc.nodes.base?.with.learning_rate, 5e-6);
  assert.ok(r.value.notes.some((n) => /no --stage2/.test(n)));
  assert.ok(r.value.notes.some((n) => /params.images/.test(n)));
  const same = await importSimpleTuner({ config: f.base, stage2: f.base });
  assert.ok(!same.ok && /both configs train the base/.test(same.error));
});

test('config.env: quotes, comments, and the self-referencing TRAINER_EXTRA_ARGS keep the refiner flags', async () => {
  const text = [
    '# stage one',
    'export MODEL_NAME="segmind/SSD-1B"',
    "export LEARNING_RATE='1e-5'",
    'export TRAIN_BATCH_SIZE=4 # per GPU',
    'export MAX_NUM_STEPS=3000',
    'export TRAINER_EXTRA_ARGS="--refiner_training --refiner_training_strength=0.3"',
    'export TRAINER_EXTRA_ARGS="${TRAINER_EXTRA_ARGS} --refiner_training_invert_schedule --seed 11"',
    'export DEBUG_ME=1',
  ].join('\n');
  const env = parseConfigEnv(text);
  assert.ok(env.ok);
  assert.deepEqual(env.value.options, {
    pretrained_model_name_or_path: 'segmind/SSD-1B',
    learning_rate: '1e-5',
    train_batch_size: '4',
    max_train_steps: '3000',
    refiner_training: true,
    refiner_training_strength: '0.3',
    refiner_training_invert_schedule: true,
    seed: '11',
  });
  assert.deepEqual(env.value.unknownVariables, ['DEBUG_ME']);
  const bad = parseConfigEnv('export X="open');
  assert.ok(!bad.ok && /line 1/.test(bad.error));

  const dir = mkdtempSync(join(tmpdir(), 'moe-import-env-'));
  writeFileSync(join(dir, 'config.env'), text);
  const r = await importSimpleTuner({ config: join(dir, 'config.env') });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const doc = parse(r.value.yaml) as { nodes: Record<string, { with: Record<string, unknown> }> };
  assert.equal(doc.nodes.base?.with.strength, 0.3);
  assert.equal(doc.nodes.base?.with.batch_size, 4);
  assert.equal(doc.nodes.base?.with.seed, 11);
  assert.deepEqual(
    r.value.notCarried.map((n) => n.option),
    ['DEBUG_ME'],
  );
});
