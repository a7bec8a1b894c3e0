import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expertWith, parseDoc } from './doc.js';
import { importSimpleTuner, parseConfigEnv } from '../../src/import/simpletuner/index.js';
import { checkPipeline } from '../../src/app/validate.js';

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
  const doc = parseDoc(r.value.yaml);
  assert.equal(doc.params.pretrained_model, 'segmind/SSD-1B');
  assert.equal(doc.params.data, '/data/photos');
  assert.equal(doc.params.strength, 0.35);
  assert.equal(doc.params.seed, 7);
  assert.equal(doc.params.train_steps, 7600);
  // The whole split-schedule graph, as pipelines/ssd1b.yaml.
  assert.deepEqual(
    Object.entries(doc.nodes).map(([id, n]) => `${id}:${n.step}`),
    [
      'data:dataset.images',
      'cache:embeds.cache',
      'base:train.expert',
      'refiner:train.expert',
      'compose:compose.inference',
      'evaluate:evaluate',
      'report:report',
    ],
  );
  assert.equal(doc.nodes.compose?.with.split, '${{ 1 - params.strength }}');
  const base = expertWith(doc, 'base');
  const refiner = expertWith(doc, 'refiner');
  assert.equal(base?.role, 'base');
  assert.equal(refiner?.role, 'refiner');
  assert.equal(base?.learning_rate, 1e-5);
  assert.equal(refiner?.learning_rate, 5e-6);
  for (const w of [base, refiner]) {
    assert.equal(w.strength, '${{ params.strength }}');
    assert.equal(w.batch_size, 4);
    assert.equal(w.gradient_accumulation, 2);
    assert.equal(w.steps, '${{ params.train_steps }}');
    assert.equal(w.checkpoint_every, 500);
    assert.equal(w.seed, '${{ params.seed }}');
    assert.equal(w.timestep_spacing, 'trailing');
    assert.equal(w.backend, 'simpletuner');
    // Left to SimpleTuner's defaults in the config: written out, so moe trains the same.
    assert.equal(w.caption_dropout_probability, 0.1);
    assert.equal(w.max_grad_norm, 2);
    assert.equal(w.grad_clip_method, 'value');
  }
  assert.equal(doc.params.resolution, 1024);

  const options = r.value.notCarried.map((n) => n.option).sort();
  assert.deepEqual(options, ['lora_rank', 'lora_rank', 'optimizer', 'optimizer', 'photos.crop']);

  writeFileSync(join(f.dir, 'moe.yaml'), r.value.yaml);
  const checked = await checkPipeline(join(f.dir, 'moe.yaml'), []);
  assert.ok(checked.valid, checked.render(false));
});

test('a single config mirrors its settings to the other expert and says so', async () => {
  const f = setup();
  const r = await importSimpleTuner({ config: f.refiner });
  assert.ok(r.ok);
  const doc = parseDoc(r.value.yaml);
  assert.equal(expertWith(doc, 'base').learning_rate, 5e-6);
  assert.ok(r.value.notes.some((n) => /no --stage2/.test(n)));
  assert.ok(r.value.notes.some((n) => /params.data/.test(n)));
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
  const doc = parseDoc(r.value.yaml);
  assert.equal(doc.params.strength, 0.3);
  assert.equal(expertWith(doc, 'base').batch_size, 4);
  assert.equal(doc.params.seed, 11);
  assert.deepEqual(
    r.value.notCarried.map((n) => n.option),
    ['DEBUG_ME'],
  );
});

test("SimpleTuner's validation-loss options become the expert's validation.loss_every, max_items, eval_timesteps", async () => {
  const f = setup();
  const evalOptions = { eval_steps_interval: 250, num_eval_images: 2, eval_timesteps: 20 };
  writeFileSync(
    f.refiner,
    JSON.stringify({ ...common, output_dir: '/o/refiner', ...evalOptions, report_to: 'simpletuner' }),
  );
  writeFileSync(
    f.base,
    JSON.stringify({ ...common, '--refiner_training_invert_schedule': true, report_to: 'wandb' }),
  );
  const r = await importSimpleTuner({ config: f.base, stage2: f.refiner, databackend: f.backends });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const doc = parseDoc(r.value.yaml);
  assert.deepEqual(expertWith(doc, 'refiner').validation, {
    loss_every: 250,
    max_items: 2,
    eval_timesteps: 20,
  });
  const options = r.value.notCarried.map((n) => n.option);
  for (const o of Object.keys(evalOptions)) assert.ok(!options.includes(o), `${o} is carried`);
  // moe writes report_to simpletuner itself; a hosted tracker has no counterpart.
  assert.deepEqual(
    options.filter((o) => o === 'report_to'),
    ['report_to'],
  );
  writeFileSync(join(f.dir, 'moe.yaml'), r.value.yaml);
  const checked = await checkPipeline(join(f.dir, 'moe.yaml'), []);
  assert.ok(checked.valid, checked.render(false));
});

test('inference_scheduler_timestep_spacing equal to the training spacing is carried (moe export writes it), another is listed', async () => {
  const f = setup();
  writeFileSync(
    f.refiner,
    JSON.stringify({ ...common, output_dir: '/o/refiner', inference_scheduler_timestep_spacing: 'trailing' }),
  );
  writeFileSync(
    f.base,
    JSON.stringify({
      ...common,
      '--refiner_training_invert_schedule': true,
      inference_scheduler_timestep_spacing: 'leading',
    }),
  );
  const r = await importSimpleTuner({ config: f.base, stage2: f.refiner, databackend: f.backends });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(
    r.value.notCarried
      .filter((n) => n.option === 'inference_scheduler_timestep_spacing')
      .map((n) => [n.file, n.value]),
    [[f.base, 'leading']],
  );
});

test('stage configs that disagree on what both experts must share are named in a note', async () => {
  const f = setup();
  writeFileSync(
    f.refiner,
    JSON.stringify({
      ...common,
      output_dir: '/o/refiner',
      prediction_type: 'v_prediction',
      refiner_training_strength: 0.3,
    }),
  );
  const r = await importSimpleTuner({ config: f.base, stage2: f.refiner, databackend: f.backends });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(
    r.value.notes.filter((n) => n.includes('disagree')),
    [
      'the stages disagree on strength (base 0.35, refiner 0.3): both experts must share it, so moe validate refuses the pipeline until they agree',
      'the stages disagree on prediction_type (base "epsilon", refiner "v_prediction"): both experts must share it, so moe validate refuses the pipeline until they agree',
    ],
  );
  // Stages that differ only where experts may (learning rate, output_dir): no such note.
  const g = setup();
  const agreeing = await importSimpleTuner({ config: g.base, stage2: g.refiner, databackend: g.backends });
  assert.ok(agreeing.ok);
  assert.deepEqual(
    agreeing.value.notes.filter((n) => n.includes('disagree')),
    [],
  );
});

test('a config.json or multidatabackend.json that is not valid JSON is named with its line and column', async () => {
  const f = setup();
  const bad = join(f.dir, 'bad.json');
  writeFileSync(bad, '{\n  "learning_rate": 1e-5,\n  "seed": 7,\n}\n');
  const r = await importSimpleTuner({ config: bad });
  assert.ok(!r.ok);
  assert.match(r.error, new RegExp(`^${bad}:4:1: not valid JSON: `));
  assert.doesNotMatch(r.error, /position/);
  const cut = join(f.dir, 'cut.json');
  writeFileSync(cut, '{\n  "seed": 7');
  const c = await importSimpleTuner({ config: cut });
  assert.ok(!c.ok);
  assert.match(c.error, new RegExp(`^${cut}:2:12: not valid JSON: `));
  const backends = join(f.dir, 'backends.json');
  writeFileSync(backends, '[\n  { "id": "photos", }\n]\n');
  const b = await importSimpleTuner({ config: f.base, databackend: backends });
  assert.ok(!b.ok);
  assert.match(b.error, new RegExp(`^${backends}:2:21: not valid JSON: `));
});

test('a config.json that holds a JSON array is refused as JSON, not read as a config.env', async () => {
  const f = setup();
  const arr = join(f.dir, 'arr.json');
  writeFileSync(arr, '[{ "learning_rate": 1e-5 }]\n');
  const r = await importSimpleTuner({ config: arr });
  assert.ok(!r.ok);
  assert.equal(r.error, `${arr}: expected a JSON object of option names`);
});

test("an option whose value is not carried falls back to SimpleTuner's default, so the pipeline stays consistent", async () => {
  const f = setup();
  const odd = join(f.dir, 'odd.json');
  writeFileSync(odd, JSON.stringify({ ...common, refiner_training_strength: 'x', learning_rate: 'fast' }));
  const r = await importSimpleTuner({ config: odd, databackend: f.backends });
  assert.ok(r.ok);
  const doc = parseDoc(r.value.yaml);
  assert.equal(expertWith(doc, 'refiner').strength, '${{ params.strength }}');
  assert.equal(doc.params.strength, 0.2);
  assert.equal(expertWith(doc, 'refiner').learning_rate, 4e-7);
  assert.ok(r.value.notCarried.some((n) => n.option === 'refiner_training_strength'));
  writeFileSync(join(f.dir, 'odd.yaml'), r.value.yaml);
  const checked = await checkPipeline(join(f.dir, 'odd.yaml'), []);
  assert.ok(checked.valid, checked.render(false));
});

test('a data backend without a usable instance_data_dir is listed and noted, not replaced by a placeholder in silence', async () => {
  const f = setup();
  const db = join(f.dir, 'db.json');
  writeFileSync(
    db,
    JSON.stringify([
      { id: 'photos', type: 'local', instance_data_dir: 5 },
      { id: 'text', type: 'local', dataset_type: 'text_embeds', default: true },
    ]),
  );
  const r = await importSimpleTuner({ config: f.base, databackend: db });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.ok(
    r.value.notCarried.some((n) => n.option === 'photos.instance_data_dir' && /folder path/.test(n.reason)),
  );
  assert.ok(r.value.notes.some((n) => /set params\.data to your image folder/.test(n)));
  const missing = join(f.dir, 'missing.json');
  writeFileSync(missing, JSON.stringify([{ id: 'photos', type: 'local' }]));
  const m = await importSimpleTuner({ config: f.base, databackend: missing });
  assert.ok(m.ok);
  assert.ok(m.value.notes.some((n) => /photos.*no instance_data_dir.*set params\.data/.test(n)));
});
