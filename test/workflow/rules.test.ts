import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExpertsPipeline } from './rule-pipelines.js';
import { expertsPipeline, ruleDiagnostics } from './rule-pipelines.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pipeline around two train.expert nodes and one consumer; `base`, `refiner`, `compose` are extra `with` lines. */
const pipeline = (o: Omit<ExpertsPipeline, 'name' | 'params'>): string =>
  expertsPipeline({ name: 'rules', params: { strength: 0.35 }, ...o });
const check = ruleDiagnostics;

test('a consistent pair passes without a word', async () => {
  assert.deepEqual(
    await check(
      pipeline({
        base: 'strength: ${{ params.strength }}\nprediction_type: v_prediction\nzero_snr: true\ntimestep_spacing: trailing',
        refiner:
          'strength: ${{ params.strength }}\nprediction_type: v_prediction\nzero_snr: true\ntimestep_spacing: trailing',
        compose:
          'split: ${{ 1 - params.strength }}\nprediction_type: v_prediction\nzero_snr: true\ntimestep_spacing: trailing\nguidance_rescale: 0.7\nprompts: [a]',
      }),
    ),
    [],
  );
});

const SCENARIOS = {
  mismatch: pipeline({
    base: 'prediction_type: v_prediction\nnoise_schedule: { beta_schedule: scaled_linear }',
    refiner: 'prediction_type: epsilon\nnoise_schedule: { beta_schedule: linear }',
    compose: 'prediction_type: v_prediction\nprompts: [a]',
  }),
  oneSided: pipeline({ base: 'zero_snr: false', compose: 'zero_snr: false\nprompts: [a]' }),
  strength: pipeline({
    base: 'strength: 0.4',
    refiner: 'strength: 0.35',
    compose: 'split: 0.6\nprompts: [a]',
  }),
  split: pipeline({
    base: 'strength: ${{ params.strength }}',
    refiner: 'strength: ${{ params.strength }}',
    compose: 'split: 0.7\nprompts: [a]',
  }),
  roles: pipeline({ baseRole: 'refiner', compose: 'prompts: [a]' }),
  advice: pipeline({
    base: 'zero_snr: true\ntimestep_spacing: leading',
    refiner: 'zero_snr: true\ntimestep_spacing: leading',
    compose: 'zero_snr: true\ntimestep_spacing: leading\nprompts: [a]',
  }),
};

test("experts that disagree: an error at the refiner's field, the base's as a note", async () => {
  assert.deepEqual(await check(SCENARIOS.mismatch), [
    "p.yaml:20:7: error: `base` overrides noise_schedule, but `compose` (compose.inference) uses the model folder's own scheduler config: the expert would be sampled and evaluated under another noise schedule than it was trained on",
    'p.yaml:27:24: error: base and refiner disagree: `refiner` has prediction_type epsilon but `base` has v_prediction; both experts must share prediction_type',
    "p.yaml:28:7: error: `refiner` overrides noise_schedule, but `compose` (compose.inference) uses the model folder's own scheduler config: the expert would be sampled and evaluated under another noise schedule than it was trained on",
    'p.yaml:28:40: error: base and refiner disagree: `refiner` has noise_schedule.beta_schedule linear but `base` has scaled_linear; both experts must share noise_schedule.beta_schedule',
  ]);
});

test('a setting on one expert only is an error at the other node (model defaults may differ)', async () => {
  assert.deepEqual(await check(SCENARIOS.oneSided), [
    "p.yaml:20:3: error: base and refiner disagree: `base` sets zero_snr false but `refiner` leaves it to the model folder's default; both experts must share zero_snr",
  ]);
});

test('strengths must be equal so the ranges tile the schedule', async () => {
  assert.deepEqual(await check(SCENARIOS.strength), [
    'p.yaml:26:17: error: strength differs: base `base` 0.4 (timesteps 400…999), refiner `refiner` 0.35 (0…349); timesteps 350…399 belong to neither expert. The ranges must tile 0…999',
  ]);
});

test('the compose split must be 1 − strength', async () => {
  assert.deepEqual(await check(SCENARIOS.split), [
    'p.yaml:33:14: error: split 0.7 hands off at timestep 300, not where the experts meet (350 = int(0.35·1000)): it must equal 1 − strength = 0.65',
  ]);
});

test('the node feeding `base` must have role base', async () => {
  assert.deepEqual(await check(SCENARIOS.roles), [
    'p.yaml:16:13: error: `base` feeds `base` of `compose` but has role refiner: the base expert must have role base (the inverted schedule, high-noise timesteps)',
  ]);
});

test('zero-SNR advice: trailing spacing and guidance rescale, as warnings', async () => {
  assert.deepEqual(await check(SCENARIOS.advice), [
    'p.yaml:20:25: warning: zero-SNR with timestep_spacing leading: the sampler never visits the last timestep, the one zero-SNR exists for; trailing is advised',
    'p.yaml:28:25: warning: zero-SNR with timestep_spacing leading: the sampler never visits the last timestep, the one zero-SNR exists for; trailing is advised',
    'p.yaml:29:3: warning: zero-SNR with guidance_rescale 0 (the default): images over-expose at high guidance; about 0.7 is advised',
    'p.yaml:36:25: warning: zero-SNR with timestep_spacing leading: the sampler never visits the last timestep, the one zero-SNR exists for; trailing is advised',
  ]);
});

test('zero-SNR with epsilon prediction: a warning at the prediction type', async () => {
  // DDIM and DDPM divide by √ᾱ = 0 at t = 999 with epsilon: NaN images after the experts have trained.
  const both = 'zero_snr: true\ntimestep_spacing: trailing\nprediction_type: epsilon';
  const got = await check(
    pipeline({ base: both, refiner: both, compose: `${both}\nguidance_rescale: 0.7\nprompts: [a]` }),
  );
  assert.deepEqual(
    got.map((l) => l.replace(/ \(x₀.*/, '')),
    [
      'p.yaml:21:24: warning: zero-SNR with prediction_type epsilon: at t = 999 the input is pure noise, so predicting the noise says nothing about the image',
      'p.yaml:30:24: warning: zero-SNR with prediction_type epsilon: at t = 999 the input is pure noise, so predicting the noise says nothing about the image',
    ],
  );
  const v = both.replace('epsilon', 'v_prediction');
  assert.deepEqual(
    await check(pipeline({ base: v, refiner: v, compose: `${v}\nguidance_rescale: 0.7\nprompts: [a]` })),
    [],
  );
});

test('`moe validate` applies the workflow rules', async () => {
  const { checkPipeline } = await import('../../src/app/validate.js');
  const dir = await mkdtemp(join(tmpdir(), 'moe-rules-'));
  const file = join(dir, 'p.yaml');
  await writeFile(file, SCENARIOS.split);
  const result = await checkPipeline(file, []);
  assert.equal(result.valid, false);
  assert.match(result.render(false), /p\.yaml:33:14: error: split 0\.7 hands off at timestep 300/);
});

test('strengths are compared as the integer cutoff int(s·1000), the split by where the sampler hands off', async () => {
  // 0.3515 and 0.35159 both cut at 351: the same ranges, no error.
  assert.deepEqual(
    await check(
      pipeline({
        base: 'strength: 0.3515',
        refiner: 'strength: 0.35159',
        compose: 'split: ${{ 1 - 0.3515 }}\nprompts: [a]',
      }),
    ),
    [],
  );
  // A literal 0.6485 is 1 − 0.3515 to 1e-16, yet round-half-even(1000 − 648.5) = 352, not int(351.5) = 351.
  assert.deepEqual(
    await check(
      pipeline({
        base: 'strength: 0.3515',
        refiner: 'strength: 0.3515',
        compose: 'split: 0.6485\nprompts: [a]',
      }),
    ),
    [
      "p.yaml:33:14: error: split 0.6485 hands off at timestep 352, not where the experts meet (351 = int(0.3515·1000)): strength 0.3515 falls between two of the 1000 timesteps, which training truncates (int) and the sampler's hand-off rounds",
    ],
  );
  // Saying "it must equal 1 − strength" to someone who wrote `1 - params.strength` helps nobody: the fix
  // is a strength on the timestep grid, and 1 − 0.351 then hands off at 351.
  const fine = expertsPipeline({
    name: 'rules',
    params: { strength: 0.3507 },
    base: 'strength: ${{ params.strength }}',
    refiner: 'strength: ${{ params.strength }}',
    compose: 'split: ${{ 1 - params.strength }}\nprompts: [a]',
  });
  assert.deepEqual(await check(fine, { help: true }), [
    "p.yaml:33:14: error: split 0.6493 hands off at timestep 351, not where the experts meet (350 = int(0.3507·1000)): strength 0.3507 falls between two of the 1000 timesteps, which training truncates (int) and the sampler's hand-off rounds [help: use strength 0.35 (a whole number of timesteps; split 1 − strength then hands off at 350)]",
  ]);
  assert.deepEqual(await check(fine.replace('strength: 0.3507', 'strength: 0.35')), []);
});

test('evaluate left at its default strength while the experts use another is an error at the node', async () => {
  const cache = 'cache: ${{ nodes.cache.outputs.cache }}';
  const text = pipeline({
    base: 'strength: 0.3',
    refiner: 'strength: 0.3',
    consumer: 'evaluate',
    compose: cache,
  });
  assert.deepEqual(await check(text), [
    "p.yaml:27:3: error: strength 0.35 (the default) differs from the experts' 0.3: the bands would split at timestep 350, the experts at 300",
  ]);
  const set = pipeline({
    base: 'strength: 0.3',
    refiner: 'strength: 0.3',
    consumer: 'evaluate',
    compose: `${cache}\nstrength: 0.3`,
  });
  assert.deepEqual(await check(set), []);
});

test('experts with different pretrained_model, resolution, images or backend: an error unless intended', async () => {
  const st = 'backend: simpletuner\nbatch_size: 4\n';
  const text = pipeline({
    base: `${st}images: data/a\nresolution: 1024\npretrained_model: segmind/SSD-1B`,
    refiner: `${st}images: data/b\nresolution: 768\npretrained_model: stabilityai/sdxl`,
    compose: 'prompts: [a]',
  });
  const got = await check(text);
  assert.deepEqual(
    got.map((l) => l.replace(/: the experts would not share.*|: the pair would.*/, '')),
    [
      'p.yaml:32:15: error: `refiner` has images data/b but `base` has data/a',
      'p.yaml:33:19: error: `refiner` has resolution 768 but `base` has 1024',
      'p.yaml:34:25: error: `refiner` has pretrained_model stabilityai/sdxl but `base` has segmind/SSD-1B',
    ],
  );
  assert.match(got[1] ?? '', /SimpleTuner's text-embed and latent caches/);
  const meant = pipeline({
    base: `${st}images: data/a\nresolution: 1024\npretrained_model: segmind/SSD-1B`,
    refiner: `${st}images: data/b\nresolution: 768\npretrained_model: stabilityai/sdxl\nintended_differences: [images, resolution, pretrained_model]`,
    compose: 'prompts: [a]',
  });
  assert.deepEqual(await check(meant), []);
  const backends = pipeline({ refiner: `${st}images: data/a`, compose: 'prompts: [a]' });
  assert.deepEqual(
    (await check(backends)).filter((l) => /backend/.test(l)),
    [
      'p.yaml:25:16: error: `refiner` has backend simpletuner but `base` has builtin (the default): the pair would be trained by two different trainers',
    ],
  );
});

test('experts trained from different model folders or embedding caches: an error unless intended', async () => {
  // The brief's pair shares one parameterisation and one cache: a refiner trained from another model or
  // another embeds.cache node passed validation before.
  const two = pipeline({ compose: 'prompts: [a]' }).replace(
    '  base:\n',
    '  other:\n    step: embeds.cache\n    with:\n      model: other-model\n      manifest: data/manifest.jsonl\n  base:\n',
  );
  const refinerModel = two.replace(
    /( {2}refiner:\n {4}step: train.expert\n {4}with:\n {6}role: refiner\n) {6}model: \$\{\{ nodes.model.outputs.model \}\}\n {6}cache: \$\{\{ nodes.cache.outputs.cache \}\}/,
    '$1      model: other-model\n      cache: ${{ nodes.other.outputs.cache }}',
  );
  assert.notEqual(refinerModel, two);
  const got = await check(refinerModel);
  assert.deepEqual(
    got.map((l) => l.replace(/ \(.*|: the experts would not.*/, '')),
    [
      'p.yaml:28:14: error: `refiner` has model other-model but `base` has ${{ nodes.model.outputs.model }}',
      'p.yaml:28:14: error: `refiner` has pretrained_model other-model but `base` has ${{ nodes.model.outputs.model }}',
      'p.yaml:29:14: error: `refiner` has cache ${{ nodes.other.outputs.cache }} but `base` has ${{ nodes.cache.outputs.cache }}: the experts would not train from one embedding cache',
    ].map((l) => l.replace(/: the experts would not.*/, '')),
  );
  const meant = refinerModel.replace(
    '      cache: ${{ nodes.other.outputs.cache }}',
    '      cache: ${{ nodes.other.outputs.cache }}\n      intended_differences: [model, pretrained_model, cache]',
  );
  assert.deepEqual(await check(meant), []);
});

test('validation_using_datasets on the base is an error', async () => {
  const st = 'backend: simpletuner\nbatch_size: 4\nimages: data/a\n';
  const got = await check(
    pipeline({ base: `${st}validation_using_datasets: true`, refiner: st, compose: 'prompts: [a]' }),
  );
  assert.deepEqual(got, [
    "p.yaml:22:7: error: `base` is the base (high-noise) expert but sets validation_using_datasets: SimpleTuner's dataset validation partially denoises images at strength 0.2, inside the refiner's range; the seed sets it on the refiner",
  ]);
});
