import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addNoise,
  createScheduler,
  makeNoiseSchedule,
  minSnrWeights,
  predictedEpsilon,
  predictedOriginal,
  predictedVelocity,
  predictionTarget,
  velocity,
} from '../../src/diffusion/index.js';
import type { PredictionType, Scheduler } from '../../src/diffusion/index.js';
import { assertClose, BETA_CONFIGS, KIND_OF_CLASS, reference } from './reference.js';

interface Common {
  beta_config: string;
  rescale_betas_zero_snr: boolean;
  add_noise: (number | string)[];
}
const data = reference<{
  original: number[];
  noise: number[];
  ddpm_ddim: (Common & { timesteps: number[]; get_velocity: (number | string)[] })[];
  euler: (Common & {
    timestep_spacing: string;
    steps_offset: number;
    N: number;
    timesteps: number[];
    begin_index?: number;
    get_velocity?: number[];
    get_velocity_alphas_cumprod_index_used?: number[];
    ddpm_get_velocity_at_same_t_for_comparison?: number[];
  })[];
  unipc_dpm: (Common & {
    class: string;
    timestep_spacing: string;
    steps_offset: number;
    N: number;
    timesteps: number[];
  })[];
}>('add_noise_velocity.json');
const x0 = Float32Array.from(data.original);
const noise = Float32Array.from(data.noise);

function scheduler(kind: string, c: Common, extra: Record<string, unknown> = {}): Scheduler {
  const made = createScheduler(kind, {
    ...BETA_CONFIGS[c.beta_config],
    rescale_betas_zero_snr: c.rescale_betas_zero_snr,
    ...extra,
  });
  assert.ok(made.ok);
  return made.value.scheduler;
}

test(`add_noise and velocity match diffusers' DDPM/DDIM in all ${data.ddpm_ddim.length} cases`, () => {
  for (const c of data.ddpm_ddim) {
    const label = `${c.beta_config}${c.rescale_betas_zero_snr ? ' zsnr' : ''} t=${c.timesteps.join(',')}`;
    const s = scheduler('ddim', c);
    assertClose(addNoise(x0, noise, s.alphasCumprod!, c.timesteps), c.add_noise, `${label} add_noise`);
    assertClose(velocity(x0, noise, s.alphasCumprod!, c.timesteps), c.get_velocity, `${label} velocity`);
    assertClose(s.addNoise(x0, noise, c.timesteps), c.add_noise, `${label} scheduler.addNoise`);
  }
});

test("Euler's add_noise matches diffusers; its velocity is the correct one, not diffusers' position-indexed value", () => {
  let buggyDiffers = 0;
  for (const c of data.euler) {
    const label = `euler ${c.timestep_spacing} N=${c.N} t=${c.timesteps.join(',')}`;
    const s = scheduler('euler', c, { timestep_spacing: c.timestep_spacing, steps_offset: c.steps_offset });
    s.setTimesteps(c.N);
    // With a begin index (an img2img stage) diffusers noises every element to the σ at that index.
    if (c.begin_index !== undefined) s.setBeginIndex(c.begin_index);
    assertClose(s.addNoise(x0, noise, c.timesteps), c.add_noise, `${label} add_noise`);
    if (c.get_velocity === undefined || c.get_velocity_alphas_cumprod_index_used === undefined) continue;
    // The correct velocity looks ᾱ up by t, as DDPM does (identical except where zero-SNR clamps ᾱ_999).
    const ours = s.getVelocity(x0, noise, c.timesteps);
    if (!(c.rescale_betas_zero_snr && c.timesteps.includes(999))) {
      assertClose(ours, c.ddpm_get_velocity_at_same_t_for_comparison!, `${label} velocity`);
    }
    const usedPosition = c.get_velocity_alphas_cumprod_index_used.some((i, b) => i !== c.timesteps[b]);
    if (usedPosition) {
      buggyDiffers += 1;
      assert.ok(
        ours.some((v, i) => Math.abs(v - c.get_velocity![i]!) > 1e-3),
        `${label}: diffusers' position-indexed velocity should differ from the correct one`,
      );
    }
  }
  assert.ok(buggyDiffers > 0, 'the reference shows the bug in at least one case');
});

test(`UniPC and DPM-Solver++ add_noise (α_t·x₀ + σ_t·ε at the schedule's σ) match diffusers in all ${data.unipc_dpm.length} cases`, () => {
  for (const c of data.unipc_dpm) {
    const label = `${c.class} ${c.timestep_spacing} N=${c.N} t=${c.timesteps.join(',')}`;
    const s = scheduler(KIND_OF_CLASS[c.class]!, c, {
      timestep_spacing: c.timestep_spacing,
      steps_offset: c.steps_offset,
    });
    s.setTimesteps(c.N);
    assertClose(s.addNoise(x0, noise, c.timesteps), c.add_noise, `${label} add_noise`);
  }
});

test('ε, v and x₀ convert into each other exactly for every prediction type (T=500 linear, not in the files)', () => {
  const { alphasCumprod } = makeNoiseSchedule({
    numTrainTimesteps: 500,
    betaStart: 0.001,
    betaEnd: 0.03,
    betaSchedule: 'linear',
    rescaleBetasZeroSnr: false,
  });
  const timesteps = [3, 250, 499, 120];
  const xt = addNoise(x0, noise, alphasCumprod, timesteps);
  for (const type of ['epsilon', 'v_prediction', 'sample'] as PredictionType[]) {
    const target = predictionTarget(type, x0, noise, alphasCumprod, timesteps);
    assertClose(predictedOriginal(type, target, xt, alphasCumprod, timesteps), x0, `${type} → x₀`, 1e-4);
    assertClose(predictedEpsilon(type, target, xt, alphasCumprod, timesteps), noise, `${type} → ε`, 1e-4);
    assertClose(
      predictedVelocity(type, target, xt, alphasCumprod, timesteps),
      velocity(x0, noise, alphasCumprod, timesteps),
      `${type} → v`,
      1e-4,
    );
  }
  // v by hand for one value: t = 250, element 8 of batch element 1.
  const a = alphasCumprod[250]!;
  const v = velocity(x0, noise, alphasCumprod, timesteps);
  assert.ok(Math.abs(v[8]! - (Math.sqrt(a) * noise[8]! - Math.sqrt(1 - a) * x0[8]!)) < 1e-6);
});

test('min-SNR weights: min(SNR,γ)/SNR for ε, min(SNR,γ)/(SNR+1) for v, min(SNR,γ) for x₀; finite at zero SNR', () => {
  const ac = [0.9, 0.5, 0.1, 0];
  const t = [0, 1, 2, 3];
  const snrs = [9, 1, 1 / 9, 0];
  const gamma = 5;
  const expected = {
    epsilon: [5 / 9, 1, 1, 1],
    v_prediction: [5 / 10, 1 / 2, 1 / 9 / (1 / 9 + 1), 0],
    sample: [5, 1, 1 / 9, 0],
  };
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    const w = minSnrWeights(ac, t, gamma, type);
    expected[type].forEach((e, i) =>
      assert.ok(Math.abs(w[i]! - e) < 1e-12, `${type} SNR ${snrs[i]}: expected ${e}, got ${w[i]}`),
    );
  }
});
