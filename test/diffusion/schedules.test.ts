import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  betasForAlphaBar,
  clampTerminalAlphaCumprod,
  makeNoiseSchedule,
  sigmasFromAlphasCumprod,
} from '../../src/diffusion/index.js';
import { assertClose, reference } from './reference.js';

interface ScheduleCase {
  beta_config: string;
  rescale_betas_zero_snr: boolean;
  betas: number[];
  alphas_cumprod: number[];
  train_sigmas_euler: (number | string)[];
}

const data = reference<{
  beta_configs: Record<
    string,
    { beta_schedule: 'linear' | 'scaled_linear'; beta_start: number; beta_end: number }
  >;
  schedules: ScheduleCase[];
}>('schedules.json');

for (const c of data.schedules) {
  const name = `${c.beta_config}${c.rescale_betas_zero_snr ? ' + zero-SNR' : ''}`;
  test(`schedule ${name}: betas, alphas_cumprod and Euler's training sigmas match diffusers within 1e-5`, () => {
    const bc = data.beta_configs[c.beta_config]!;
    const s = makeNoiseSchedule({
      numTrainTimesteps: 1000,
      betaStart: bc.beta_start,
      betaEnd: bc.beta_end,
      betaSchedule: bc.beta_schedule,
      rescaleBetasZeroSnr: c.rescale_betas_zero_snr,
    });
    assertClose(s.betas, c.betas, `${name} betas`, 1e-5, 0);
    assertClose(s.alphasCumprod, c.alphas_cumprod, `${name} alphas_cumprod`, 1e-5, 0);
    const ascending = sigmasFromAlphasCumprod(
      clampTerminalAlphaCumprod(s.alphasCumprod, c.rescale_betas_zero_snr),
    );
    const trainSigmas = [...ascending.reverse(), 0];
    assertClose(trainSigmas, c.train_sigmas_euler, `${name} train sigmas`, 1e-5, 0);
    if (c.rescale_betas_zero_snr) {
      assert.equal(s.alphasCumprod[999], 0, 'zero-SNR makes the last alphas_cumprod exactly 0');
      assert.equal(s.betas[999], 1);
    }
  });
}

test('zero-SNR rescale keeps ᾱ_0, ends at 0 and keeps SNR decreasing (squaredcos_cap_v2, T=300: not in the reference files)', () => {
  const spec = {
    numTrainTimesteps: 300,
    betaStart: 0,
    betaEnd: 1,
    betaSchedule: 'squaredcos_cap_v2',
  } as const;
  const plain = makeNoiseSchedule({ ...spec, rescaleBetasZeroSnr: false });
  const zsnr = makeNoiseSchedule({ ...spec, rescaleBetasZeroSnr: true });
  assert.ok(
    Math.abs(zsnr.alphasCumprod[0]! - plain.alphasCumprod[0]!) < 1e-6,
    'ᾱ_0 kept (to float32 rounding)',
  );
  assert.equal(zsnr.alphasCumprod[299], 0);
  for (let t = 1; t < 300; t++)
    assert.ok(zsnr.alphasCumprod[t]! < zsnr.alphasCumprod[t - 1]!, `ᾱ not decreasing at ${t}`);
  // √ᾱ' is an affine function of √ᾱ: check the midpoint by hand.
  const s0 = Math.sqrt(plain.alphasCumprod[0]!);
  const sT = Math.sqrt(plain.alphasCumprod[299]!);
  const expected = ((Math.sqrt(plain.alphasCumprod[150]!) - sT) * s0) / (s0 - sT);
  assert.ok(Math.abs(Math.sqrt(zsnr.alphasCumprod[150]!) - expected) < 1e-6);
});

test('squaredcos_cap_v2 follows the cosine ᾱ of Nichol & Dhariwal, capped at 0.999', () => {
  const betas = betasForAlphaBar(1000);
  const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  for (const i of [0, 1, 500, 998]) {
    const expected = 1 - f((i + 1) / 1000) / f(i / 1000);
    assert.ok(
      Math.abs(betas[i]! - expected) <= 1e-7 * expected,
      `beta ${i}: expected ${expected}, got ${betas[i]}`,
    );
  }
  assert.equal(betas[999], Math.fround(0.999));
});
