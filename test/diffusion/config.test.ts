import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, resolveSchedulerConfig } from '../../src/diffusion/index.js';
// The full scheduler_config.json of SDXL base and SSD-1B, metadata and keys no moe sampler reads included.
import { SDXL_SCHEDULER_CONFIG } from '../../src/models/tiny/configs.js';

test("defaults are each diffusers class's: DDPM/DDIM leading with clip_sample, Euler/UniPC/DPM++ linspace", () => {
  const ddim = resolveSchedulerConfig('ddim', {});
  assert.ok(ddim.ok);
  assert.equal(ddim.value.config.timestep_spacing, 'leading');
  assert.equal(ddim.value.config.clip_sample, true);
  assert.equal(ddim.value.config.set_alpha_to_one, true);
  assert.equal(ddim.value.config.beta_schedule, 'linear');
  const unipc = resolveSchedulerConfig('unipc', {});
  assert.ok(unipc.ok);
  assert.equal(unipc.value.config.timestep_spacing, 'linspace');
  assert.equal(unipc.value.config.solver_type, 'bh2');
  assert.equal(unipc.value.config.solver_order, 2);
  const dpm = resolveSchedulerConfig('dpmpp_2m', {});
  assert.ok(dpm.ok);
  assert.equal(dpm.value.config.solver_type, 'midpoint');
});

test('an SDXL scheduler_config.json loads into UniPC; keys UniPC does not read are listed, metadata is not', () => {
  const made = createScheduler('unipc', SDXL_SCHEDULER_CONFIG);
  assert.ok(made.ok);
  assert.deepEqual(made.value.ignoredKeys, [
    'clip_sample',
    'interpolation_type',
    'set_alpha_to_one',
    'skip_prk_steps',
  ]);
  assert.equal(made.value.scheduler.config.steps_offset, 1);
  const euler = createScheduler('EulerDiscreteScheduler', SDXL_SCHEDULER_CONFIG);
  assert.ok(euler.ok);
  assert.equal(euler.value.scheduler.kind, 'euler');
  assert.deepEqual(euler.value.ignoredKeys, [
    'clip_sample',
    'sample_max_value',
    'set_alpha_to_one',
    'skip_prk_steps',
  ]);
});

test('every invalid value is reported at once, naming the key, what was expected and what was given', () => {
  const made = createScheduler('ddim', {
    beta_schedule: 'cosine',
    prediction_type: 'noise',
    num_train_timesteps: 0,
    steps_offset: 1.5,
    rescale_betas_zero_snr: 'yes',
    thresholding: true,
  });
  assert.equal(made.ok, false);
  if (made.ok) return;
  const messages = made.error.map((e) => e.message);
  assert.deepEqual(
    made.error.map((e) => e.key),
    [
      'num_train_timesteps',
      'beta_schedule',
      'prediction_type',
      'steps_offset',
      'rescale_betas_zero_snr',
      'thresholding',
    ],
  );
  assert.ok(
    messages.includes(
      'beta_schedule: expected one of linear, scaled_linear, squaredcos_cap_v2, got "cosine"',
    ),
  );
  assert.ok(messages.includes('steps_offset: expected an integer ≥ 0, got 1.5'));
  assert.match(
    messages.join('\n'),
    /thresholding: expected false \(dynamic thresholding is not implemented\), got true/,
  );
  const kind = createScheduler('heun', {});
  assert.equal(kind.ok, false);
  if (!kind.ok)
    assert.equal(
      kind.error[0]!.message,
      'scheduler: expected one of ddpm, ddim, euler, unipc, dpmpp_2m, flow_euler, got "heun"',
    );
  const karras = createScheduler('euler', { use_karras_sigmas: true, beta_start: 0.1, beta_end: 0.01 });
  assert.equal(karras.ok, false);
  if (!karras.ok) assert.match(karras.error[0]!.message, /use_karras_sigmas/);
  const order = createScheduler('unipc', { solver_order: 3 });
  assert.equal(order.ok, false);
});

test('other-family solver names map onto the default as diffusers does', () => {
  const u = createScheduler('unipc', { solver_type: 'midpoint' });
  assert.ok(u.ok);
  assert.equal(u.value.scheduler.config.solver_type, 'bh2');
  const d = createScheduler('dpmpp_2m', { solver_type: 'bh2' });
  assert.ok(d.ok);
  assert.equal(d.value.scheduler.config.solver_type, 'midpoint');
});
