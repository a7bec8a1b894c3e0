import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expertWith, parseDoc } from './doc.js';
import { checkPipeline } from '../../src/app/validate.js';
import { importMusubi, parseToml, readTrainingCommand } from '../../src/import/musubi/index.js';
import { moe, ROOT } from '../cli/helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'musubi-wan22');

/** A copy of the fixtures to edit; `edit` rewrites one file's text. */
function fixtures(edit?: { file: string; from: string | RegExp; to: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-musubi-'));
  cpSync(FIXTURES, dir, { recursive: true });
  if (edit) {
    const path = join(dir, edit.file);
    const text = readFileSync(path, 'utf8');
    const changed = text.replace(edit.from, edit.to);
    assert.notEqual(changed, text, `the edit of ${edit.file} matched nothing`);
    writeFileSync(path, changed);
  }
  return dir;
}

async function importValid(config: string, other?: string) {
  const r = await importMusubi({ config, ...(other ? { other } : {}) });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const dir = mkdtempSync(join(tmpdir(), 'moe-musubi-out-'));
  writeFileSync(join(dir, 'moe.yaml'), r.value.yaml);
  const checked = await checkPipeline(join(dir, 'moe.yaml'), []);
  assert.ok(checked.valid, checked.render(false));
  return { ...r.value, doc: parseDoc(r.value.yaml) };
}

test('the high-noise and low-noise runs become one flow-matching pair at their boundary, with their settings', async () => {
  const dir = fixtures();
  const { doc, notCarried } = await importValid(join(dir, 'train-high.sh'), join(dir, 'train-low.sh'));
  // --min_timestep 875 --max_timestep 1000 is the high-noise expert (moe's base), 0..875 the low-noise one.
  assert.equal(doc.params.boundary, 0.875);
  assert.equal(doc.params.shift, 3); // --timestep_sampling shift --discrete_flow_shift 3.0
  assert.equal(doc.params.train_steps, 2400);
  assert.equal(doc.params.seed, 42);
  assert.equal(doc.params.data, '/data/stills'); // the dataset TOML named by --dataset_config
  assert.equal(doc.params.resolution, 720); // √(960·544) to a multiple of 8
  const base = expertWith(doc, 'base');
  const refiner = expertWith(doc, 'refiner');
  assert.equal(base.role, 'base');
  assert.equal(refiner.role, 'refiner');
  assert.equal(base.learning_rate, 2e-4);
  assert.equal(refiner.learning_rate, 1e-4);
  for (const w of [base, refiner]) {
    assert.equal(w.objective, 'flow_matching');
    assert.equal(w.boundary, '${{ params.boundary }}');
    assert.equal(w.shift, '${{ params.shift }}');
    assert.equal(w.timestep_density, 'logit_normal'); // musubi's shift sampling: sigmoid(sigmoid_scale·N(0, 1))
    assert.equal(w.logit_std, 1);
    assert.equal(w.lr_scheduler, 'cosine');
    assert.equal(w.lr_warmup_steps, 100);
    assert.equal(w.checkpoint_every, 400);
    assert.equal(w.batch_size, 2); // [general] batch_size
    assert.equal(w.max_grad_norm, 1); // musubi-tuner's default, written out
    assert.equal(w.gradient_checkpointing, true);
  }
  const compose = doc.nodes.compose?.with ?? {};
  assert.equal(compose.objective, 'flow_matching');
  assert.equal(compose.boundary, '${{ params.boundary }}');
  assert.deepEqual(compose.guidance_scale, { base: 4, refiner: 3 }); // Wan 2.2 T2V: 4 high noise, 3 low
  assert.deepEqual([compose.width, compose.height], [960, 544]);
  assert.equal(doc.nodes.data?.with.buckets, true);
  const dropped = notCarried.map(
    (n) => `${n.option}@${n.where.file.split('/').pop()}:${n.where.line}:${n.where.col}`,
  );
  for (const expected of [
    '--dit@train-high.sh:6:5',
    '--network_dim@train-high.sh:11:40',
    '--optimizer_type@train-low.sh:8:5',
    '--mixed_precision@train-high.sh:8:42',
    'datasets[1].video_directory@dataset.toml:15:19',
    'datasets[0].num_repeats@dataset.toml:12:15',
  ]) {
    assert.ok(dropped.includes(expected), `${expected} not in ${dropped.join(', ')}`);
  }
});

test('both experts in one run (--dit_high_noise) from a --config_file TOML: the command line wins, the boundary is 875 → 0.875', async () => {
  const dir = fixtures();
  const { doc, notes, notCarried } = await importValid(join(dir, 'train-both.sh'));
  assert.equal(doc.params.boundary, 0.875);
  assert.equal(doc.params.seed, 7); // --seed 7 on the command line over seed = 1 in the TOML
  assert.equal(doc.params.train_steps, 3000);
  // --timestep_sampling sigmoid: logit-normal with std sigmoid_scale, not shifted.
  assert.equal(doc.params.shift, 1);
  const w = expertWith(doc, 'base');
  assert.equal(w.logit_std, 1.5);
  assert.equal(w.gradient_accumulation, 2);
  assert.equal(w.lr_warmup_steps, 150); // 0.05 of 3000 steps
  // One run of 3000 steps trains each batch on one expert: about 10 % went to the high-noise one.
  assert.ok(
    notes.some((n) => /high-noise expert got about 10 %/.test(n)),
    notes.join('\n'),
  );
  const options = notCarried.map((n) => n.option);
  for (const o of ['--dit', '--dit_high_noise', '--offload_inactive_dit', '--network_args'])
    assert.ok(options.includes(o), o);
});

test("the high-noise share of a one-run pair matches a simulation of musubi-tuner's sigmoid draws", async () => {
  const { highNoiseShare } = await import('../../src/import/musubi/index.js');
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) + 0.5) / 4294967296;
  let high = 0;
  const n = 40000;
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const t = 1 / (1 + Math.exp(-1.5 * z));
    const shifted = (3 * t) / (1 + 2 * t); // --timestep_sampling shift --discrete_flow_shift 3
    if (shifted >= 0.875) high++;
  }
  const share = highNoiseShare({
    density: { timestep_density: 'logit_normal', logit_mean: 0, logit_std: 1.5 },
    shift: 3,
    boundary: 0.875,
  });
  assert.ok(Math.abs(share - high / n) < 0.01, `${share} vs simulated ${high / n}`);
});

test("musubi-tuner's sigma sampling draws σ = 1 − u: a logit_mean is carried with its sign flipped", async () => {
  const dir = fixtures({
    file: 'both.toml',
    from: /timestep_sampling = "sigmoid"\nsigmoid_scale = 1.5/,
    to: 'timestep_sampling = "sigma"\nweighting_scheme = "logit_normal"\nlogit_mean = 0.5\nlogit_std = 1.2',
  });
  const { doc } = await importValid(join(dir, 'train-both.sh'));
  const w = expertWith(doc, 'base');
  assert.deepEqual([w.timestep_density, w.logit_mean, w.logit_std], ['logit_normal', -0.5, 1.2]);
  assert.equal(doc.params.shift, 1);
});

test('one run alone: the other expert repeats its settings, and moe says so', async () => {
  const dir = fixtures();
  const { doc, notes } = await importValid(join(dir, 'train-low.sh'));
  assert.equal(doc.params.boundary, 0.875);
  assert.equal(expertWith(doc, 'base').learning_rate, 1e-4);
  assert.ok(notes.some((n) => /only the low-noise run given/.test(n)));
});

const cases: {
  name: string;
  edit?: { file: string; from: string | RegExp; to: string };
  other?: string;
  error: RegExp;
}[] = [
  {
    name: "musubi-tuner's default sigma sampling reads the range mirrored",
    edit: { file: 'train-high.sh', from: '--timestep_sampling shift ', to: '' },
    error: /train-high\.sh:13:5: with --timestep_sampling sigma .* 875\.\.1000 trains t 0\.\.125/,
  },
  {
    name: 'a range that is not a number',
    edit: { file: 'train-high.sh', from: '--min_timestep 875', to: '--min_timestep 0.875x' },
    error: /train-high\.sh:13:5: --min_timestep: expected a number, got 0\.875x/,
  },
  {
    name: 'a band in the middle',
    edit: { file: 'train-high.sh', from: '--max_timestep 1000', to: '--max_timestep 950' },
    error: /train-high\.sh:13:5: --min_timestep 875 --max_timestep 950 is a band in the middle/,
  },
  {
    name: 'a range in 0…1 instead of timesteps',
    edit: {
      file: 'train-high.sh',
      from: '--min_timestep 875 --max_timestep 1000',
      to: '--min_timestep 0.875 --max_timestep 1',
    },
    error: /train-high\.sh:13:5: .*expected 0 ≤ min < max ≤ 1000 \(timesteps, not 0…1\)/,
  },
  {
    name: 'experts that do not meet',
    edit: { file: 'train-low.sh', from: '--max_timestep 875', to: '--max_timestep 900' },
    other: 'train-low.sh',
    error:
      /train-low\.sh:12:5: the experts do not meet: one run's range ends at 875, the other's at 900 \(.*train-high\.sh:13:5\)/,
  },
  {
    name: 'two high-noise runs',
    other: 'train-high.sh',
    error: /both runs train the high-noise expert/,
  },
  {
    name: 'different training shifts',
    edit: { file: 'train-low.sh', from: '--discrete_flow_shift 3.0', to: '--discrete_flow_shift 5' },
    other: 'train-low.sh',
    error: /train-low\.sh:11:31: the runs train with different shifts \(3 and 5/,
  },
  {
    name: 'one DiT over every timestep',
    edit: { file: 'train-high.sh', from: '--min_timestep 875 --max_timestep 1000 ', to: '' },
    error: /train-high\.sh:6:5: this run trains one DiT over every timestep: say which expert/,
  },
  {
    name: 'a TOML syntax error',
    edit: { file: 'both.toml', from: 'learning_rate = 3e-5', to: 'learning_rate = {3e-5}' },
    error: /both\.toml:10:17: inline tables are not supported/,
  },
  {
    name: 'an unterminated quote',
    edit: { file: 'train-high.sh', from: '--seed 42', to: '--seed "42' },
    error: /train-high\.sh:14:60: unterminated " quote/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name} is an error at file:line:col`, async () => {
    const dir = fixtures(c.edit);
    const main = c.name.includes('TOML') ? 'train-both.sh' : 'train-high.sh';
    const r = await importMusubi({
      config: join(dir, main),
      ...(c.other ? { other: join(dir, c.other) } : {}),
    });
    assert.ok(!r.ok, 'expected an error');
    assert.match(r.error, c.error);
  });
}

test('moe import musubi-tuner: a bad run exits 2 with the position and no stack trace; a good one writes a valid file', () => {
  const dir = fixtures({ file: 'train-high.sh', from: '--max_timestep 1000', to: '--max_timestep 600' });
  const bad = moe(['import', 'musubi-tuner', 'train-high.sh'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /train-high\.sh:13:5: --min_timestep 875 --max_timestep 600/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/);
  const good = moe(
    ['import', 'musubi-tuner', 'train-low.sh', '--other', join(FIXTURES, 'train-high.sh'), '-o', 'moe.yaml'],
    dir,
  );
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stderr, /option\(s\) not carried over:\n {2}.*train-low\.sh:5:5: --dit /);
  const checked = moe(['validate', 'moe.yaml'], dir);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
});

test('the readers: shell words with continuations and quotes, TOML with positions', () => {
  const cmd = readTrainingCommand(
    'accelerate launch a/wan_train_network.py \\\n  --output_name "my run" --network_args a=1 b=2 --sdpa\n',
  );
  assert.ok(cmd.ok);
  assert.deepEqual(cmd.value.options.get('output_name'), { value: 'my run', line: 2, col: 3 });
  assert.deepEqual(cmd.value.options.get('network_args')?.value, ['a=1', 'b=2']);
  assert.equal(cmd.value.options.get('sdpa')?.value, true);
  const module = readTrainingCommand('python -m musubi_tuner.wan_train_network --task t2v-A14B\n');
  assert.ok(module.ok && module.value.options.get('task')?.value === 't2v-A14B');
  const none = readTrainingCommand('python wan_cache_latents.py --vae v.pth\n');
  assert.ok(!none.ok && /^1:1: no musubi-tuner training command/.test(none.error));
  const toml = parseToml(
    '# c\n[general]\nresolution = [\n  960,\n  544, # w, h\n]\nname = "a\\tb"\n[[datasets]]\nx = 1_000\n',
  );
  assert.ok(toml.ok, toml.ok ? '' : toml.error);
  assert.deepEqual(toml.value.tables.get('general')?.get('resolution'), {
    value: [960, 544],
    line: 3,
    col: 14,
  });
  assert.equal(toml.value.tables.get('general')?.get('name')?.value, 'a\tb');
  assert.equal(toml.value.arrays.get('datasets')?.[0]?.get('x')?.value, 1000);
  const dup = parseToml('a = 1\na = 2\n');
  assert.ok(!dup.ok && /^2:1: a is set twice/.test(dup.error));
});

test('a dataset image_directory that is not a string is listed at its place, not dropped without a word', async () => {
  const dir = fixtures({
    file: 'dataset.toml',
    from: /image_directory = "[^"]*"/,
    to: 'image_directory = 5',
  });
  const r = await importMusubi({ config: join(dir, 'train-high.sh'), other: join(dir, 'train-low.sh') });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const listed = r.value.notCarried.find((n) => n.option === 'datasets[0].image_directory');
  assert.ok(listed, r.value.notCarried.map((n) => n.option).join(', '));
  assert.match(listed.reason, /expected a folder path/);
  assert.ok(r.value.notes.some((n) => /set params\.data to your image folder/.test(n)));
});
