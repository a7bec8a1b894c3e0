import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createScheduler,
  ddimPreviousTimestep,
  roundHalfEven,
  spacedTimesteps,
} from '../../src/diffusion/index.js';
import { assertClose, assertExact, BETA_CONFIGS, f32, KIND_OF_CLASS, reference } from './reference.js';

interface TimestepCase {
  class: string;
  timestep_spacing: 'leading' | 'trailing' | 'linspace';
  steps_offset: number;
  N: number;
  timesteps: number[];
  ddim_prev_timestep_used_by_step?: number[];
}
interface SigmaCase extends TimestepCase {
  beta_config: string;
  rescale_betas_zero_snr: boolean;
  sigmas: (number | string)[];
  init_noise_sigma: number;
}
const data = reference<{
  timesteps: TimestepCase[];
  sigmas: SigmaCase[];
  euler_init_noise_sigma_before_set_timesteps: {
    beta_config: string;
    rescale_betas_zero_snr: boolean;
    timestep_spacing: string;
    init_noise_sigma: number;
  }[];
}>('timesteps.json');

test(`timesteps equal diffusers exactly in all ${data.timesteps.length} cases (5 schedulers × 3 spacings × 2 offsets × 5 N)`, () => {
  for (const c of data.timesteps) {
    const label = `${c.class} ${c.timestep_spacing} offset ${c.steps_offset} N=${c.N}`;
    const made = createScheduler(KIND_OF_CLASS[c.class]!, {
      timestep_spacing: c.timestep_spacing,
      steps_offset: c.steps_offset,
    });
    assert.ok(made.ok, label);
    made.value.scheduler.setTimesteps(c.N);
    // Euler's are float32; the reference holds them to 9 digits, which round-trips float32.
    assertExact(made.value.scheduler.timesteps, c.timesteps.map(f32), label);
    if (c.ddim_prev_timestep_used_by_step !== undefined) {
      const prev = c.timesteps.map((t) => ddimPreviousTimestep(t, 1000, c.N));
      assertExact(prev, c.ddim_prev_timestep_used_by_step, `${label} DDIM previous timesteps`);
    }
  }
});

test(`sigmas and init_noise_sigma match diffusers in all ${data.sigmas.length} cases (Euler, UniPC, DPM-Solver++, with and without zero-SNR)`, () => {
  for (const c of data.sigmas) {
    const label = `${c.class} ${c.beta_config}${c.rescale_betas_zero_snr ? ' zsnr' : ''} ${c.timestep_spacing} N=${c.N}`;
    const made = createScheduler(KIND_OF_CLASS[c.class]!, {
      ...BETA_CONFIGS[c.beta_config],
      rescale_betas_zero_snr: c.rescale_betas_zero_snr,
      timestep_spacing: c.timestep_spacing,
      steps_offset: c.steps_offset,
    });
    assert.ok(made.ok, label);
    const s = made.value.scheduler;
    s.setTimesteps(c.N);
    assertExact(s.timesteps, c.timesteps.map(f32), `${label} timesteps`);
    assertClose(s.sigmas!, c.sigmas, `${label} sigmas`, 1e-5, 0);
    assertClose([s.initNoiseSigma], [c.init_noise_sigma], `${label} init_noise_sigma`, 1e-6, 0);
  }
});

test("Euler's init_noise_sigma before set_timesteps depends on spacing: σ_max, or √(σ_max²+1) for leading", () => {
  for (const c of data.euler_init_noise_sigma_before_set_timesteps) {
    const made = createScheduler('euler', {
      ...BETA_CONFIGS[c.beta_config],
      rescale_betas_zero_snr: c.rescale_betas_zero_snr,
      timestep_spacing: c.timestep_spacing,
    });
    assert.ok(made.ok);
    assertClose([made.value.scheduler.initNoiseSigma], [c.init_noise_sigma], JSON.stringify(c), 1e-6, 0);
  }
});

test('rounding is half to even, as numpy (DDIM linspace N=25 gives 832 and 166, not 833 and 167)', () => {
  assert.deepEqual(
    [0.5, 1.5, 2.5, -0.5, -1.5, 832.5, 166.5, 2.4, 2.6].map(roundHalfEven),
    [0, 2, 2, -0, -2, 832, 166, 2, 3],
  );
  const ts = spacedTimesteps('single', {
    numTrainTimesteps: 1000,
    numInferenceSteps: 25,
    spacing: 'linspace',
    stepsOffset: 0,
  });
  assert.ok(ts.includes(832) && ts.includes(166) && !ts.includes(833));
});

test('spacing for T=2000 (not in the reference files) follows the rules derived by hand', () => {
  const spec = { numTrainTimesteps: 2000, numInferenceSteps: 3, stepsOffset: 1 } as const;
  // trailing: round(2000 − i·2000/3) − 1 = 1999, round(1333.3) − 1, round(666.7) − 1
  assertExact(spacedTimesteps('single', { ...spec, spacing: 'trailing' }), [1999, 1332, 666], 'trailing');
  // leading: i·⌊2000/3⌋ + 1 for i = 2, 1, 0
  assertExact(spacedTimesteps('single', { ...spec, spacing: 'leading' }), [1333, 667, 1], 'leading');
  // multistep leading: i·⌊2000/4⌋ + 1 for i = 3, 2, 1
  assertExact(
    spacedTimesteps('multistep', { ...spec, spacing: 'leading' }),
    [1501, 1001, 501],
    'multistep leading',
  );
  // linspace(0, 1999, 3) = 0, 999.5, 1999 → 999.5 rounds to the even 1000
  assertExact(spacedTimesteps('single', { ...spec, spacing: 'linspace' }), [1999, 1000, 0], 'linspace');
  // multistep linspace: linspace(0, 1999, 4) = 0, 666.33, 1332.67, 1999 without 0
  assertExact(
    spacedTimesteps('multistep', { ...spec, spacing: 'linspace' }),
    [1999, 1333, 666],
    'multistep linspace',
  );
  assertExact(spacedTimesteps('euler', { ...spec, spacing: 'linspace' }), [1999, 999.5, 0], 'euler linspace');
});

test("custom schedules match diffusers' retrieve_timesteps: Euler timesteps and sigmas, DDPM timesteps; DDIM and UniPC refuse them", () => {
  const r = reference<{
    retrieve_timesteps: {
      euler_custom_timesteps: { input: number[]; timesteps: number[]; sigmas: number[] };
      euler_custom_sigmas: { input: number[]; timesteps: number[]; sigmas: number[] };
      ddpm_custom_timesteps: { timesteps: number[] };
      unipc_7_leading: { timesteps: number[] };
      euler_num_inference_steps_10: { timesteps: number[] };
    };
  }>('sdxl_pipeline.json').retrieve_timesteps;
  const sdxl = { ...BETA_CONFIGS['scaled_linear_sdxl'], timestep_spacing: 'leading', steps_offset: 1 };
  const make = (kind: string) => {
    const made = createScheduler(kind, sdxl);
    assert.ok(made.ok);
    return made.value.scheduler;
  };
  const euler = make('euler');
  euler.setTimesteps(10);
  assertExact(euler.timesteps, r.euler_num_inference_steps_10.timesteps, 'euler N=10');
  euler.setTimesteps({ timesteps: r.euler_custom_timesteps.input });
  assertExact(euler.timesteps, r.euler_custom_timesteps.timesteps, 'euler custom timesteps');
  assertClose(euler.sigmas!, r.euler_custom_timesteps.sigmas, 'euler custom timesteps: sigmas', 1e-5, 0);
  euler.setTimesteps({ sigmas: r.euler_custom_sigmas.input });
  assertClose(euler.timesteps, r.euler_custom_sigmas.timesteps, 'euler custom sigmas: timesteps', 1e-6, 0);
  assertClose(euler.sigmas!, r.euler_custom_sigmas.sigmas, 'euler custom sigmas', 1e-7, 0);
  const ddpm = make('ddpm');
  ddpm.setTimesteps({ timesteps: r.ddpm_custom_timesteps.timesteps });
  assertExact(ddpm.timesteps, r.ddpm_custom_timesteps.timesteps, 'ddpm custom');
  const unipc = make('unipc');
  unipc.setTimesteps(7);
  assertExact(unipc.timesteps, r.unipc_7_leading.timesteps, 'unipc N=7 leading');
  assert.throws(
    () => unipc.setTimesteps({ timesteps: [999, 500] }),
    /UniPCMultistepScheduler takes a number of steps/,
  );
  assert.throws(
    () => make('ddim').setTimesteps({ timesteps: [999, 500] }),
    /DDIMScheduler takes a number of steps/,
  );
  assert.throws(() => ddpm.setTimesteps({ timesteps: [500, 999] }), /descending/);
  assert.throws(() => ddpm.setTimesteps(0), /1\.\.1000, got 0/);
  // DPM-Solver++ takes custom timesteps too; σ at each is the training σ there, then 0.
  const dpm = make('dpmpp_2m');
  dpm.setTimesteps({ timesteps: [999, 500, 1] });
  assertExact(dpm.timesteps, [999, 500, 1], 'dpm++ custom');
  assertClose(dpm.sigmas!.slice(0, 1), [r.euler_custom_timesteps.sigmas[0]!], 'dpm++ σ at 999', 1e-6, 0);
  assert.equal(dpm.sigmas![3], 0);
});
