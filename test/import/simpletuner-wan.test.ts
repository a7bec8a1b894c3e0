import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expertWith, parseDoc } from './doc.js';
import { checkPipeline } from '../../src/app/validate.js';
import { importSimpleTuner } from '../../src/import/simpletuner/index.js';
import { ROOT } from '../cli/helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'simpletuner-wan22');

function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-st-wan-'));
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

test("SimpleTuner's Wan 2.2 I2V high and low stages become a flow-matching pair at the stage boundary 0.9, shift 5", async () => {
  const dir = copy();
  const r = await importSimpleTuner({
    config: join(dir, 'high.json'),
    stage2: join(dir, 'low.json'),
    databackend: join(dir, 'multidatabackend.json'),
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  writeFileSync(join(dir, 'moe.yaml'), r.value.yaml);
  const checked = await checkPipeline(join(dir, 'moe.yaml'), []);
  assert.ok(checked.valid, checked.render(false));
  const doc = parseDoc(r.value.yaml);
  assert.equal(doc.params.boundary, 0.9); // WAN_STAGE_OVERRIDES boundary_ratio for i2v-14b-2.2-*
  assert.equal(doc.params.shift, 5); // the stage's flow_shift replaces flow_schedule_shift 3
  assert.equal(doc.params.data, '/data/stills'); // the image backend; the video one is not moe's
  assert.equal(doc.params.sample_steps, 40);
  const base = expertWith(doc, 'base');
  const refiner = expertWith(doc, 'refiner');
  assert.equal(base.learning_rate, 6e-5); // high.json: the high-noise stage is moe's base
  assert.equal(refiner.learning_rate, 3e-5);
  for (const w of [base, refiner]) {
    assert.equal(w.objective, 'flow_matching');
    assert.equal(w.timestep_density, 'logit_normal');
    assert.equal(w.logit_std, 1.2); // flow_sigmoid_scale
    assert.equal(w.batch_size, 2);
    assert.equal(w.lr_scheduler, 'constant_with_warmup');
    assert.equal(w.max_grad_norm, 0.1);
    for (const ddpm of ['strength', 'prediction_type', 'zero_snr', 'timestep_spacing', 'mixed_precision'])
      assert.equal(w[ddpm], undefined, ddpm);
  }
  const compose = doc.nodes.compose?.with ?? {};
  assert.equal(compose.guidance_scale, 3.5);
  assert.equal(compose.negative_prompt, 'blurry, static');
  assert.deepEqual([compose.width, compose.height], [832, 480]); // validation_resolution
  const why = new Map(r.value.notCarried.map((n) => [`${n.option}@${n.file.split('/').pop()}`, n.reason]));
  assert.match(
    why.get('flow_schedule_shift@high.json:89:3') ?? '',
    /replaces it with the stage's flow_shift 5/,
  );
  assert.match(why.get('refiner_training_strength@high.json:92:3') ?? '', /DDPM timestep selection only/);
  assert.match(
    why.get('wan_validation_load_other_stage@low.json:91:3') ?? '',
    /compose\.inference after training/,
  );
  assert.ok(why.has('lora_rank@high.json:20:3'), [...why.keys()].join(', '));
  assert.ok(r.value.notes.some((n) => /on σ drawn over the whole range/.test(n)));
});

test('two configs of the same Wan stage, or a stage beside a non-Wan config, are refused at the model_flavour', async () => {
  const dir = copy();
  const same = await importSimpleTuner({ config: join(dir, 'high.json'), stage2: join(dir, 'high.json') });
  assert.ok(!same.ok);
  assert.match(same.error, /high\.json:\d+:3: both configs train the high-noise stage/);
  const sdxl = join(dir, 'sdxl.json');
  writeFileSync(
    sdxl,
    readFileSync(join(dir, 'low.json'), 'utf8')
      .replace('"model_family": "wan"', '"model_family": "sdxl"')
      .replace('"model_flavour": "i2v-14b-2.2-low"', '"model_flavour": "base-1.0"'),
  );
  const mixed = await importSimpleTuner({ config: join(dir, 'high.json'), stage2: sdxl });
  assert.ok(!mixed.ok);
  assert.match(mixed.error, /sdxl\.json:\d+:3: --stage2 must train the other stage of the Wan 2\.2 pair/);
});
