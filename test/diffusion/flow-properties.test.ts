// Properties of the flow-matching samplers derived by hand, on settings the reference files do not cover
// (T = 500, shifts 5 and 0.5, dynamic shifting by mu in both forms, shift_terminal, custom sigmas,
// stochastic sampling): the implementation must be general, not fitted to the recorded cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, flowShiftMu } from '../../src/diffusion/index.js';
import type { Scheduler } from '../../src/diffusion/index.js';
import { assertClose } from './reference.js';

const x0 = Float32Array.from({ length: 32 }, (_, k) => Math.sin(0.37 * k + 0.1));
const eps = Float32Array.from({ length: 32 }, (_, k) => Math.cos(0.73 * k + 0.2));
const FLOW_UNIPC = { use_flow_sigmas: true, prediction_type: 'flow_prediction' } as const;

function make(kind: string, config: Record<string, unknown>): Scheduler {
  const made = createScheduler(kind, config);
  assert.ok(made.ok, JSON.stringify(made.ok ? '' : made.error));
  return made.value.scheduler;
}

const shifted = (s: number, u: number) => (s * u) / (1 + (s - 1) * u);
const linspace = (a: number, b: number, n: number) =>
  Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));

/** The exact flow-matching velocity for a sample x at noise level σ on the path from x0 through ε. */
const exactVelocity = (x: Float32Array, sigma: number) => x.map((v, k) => (v - x0[k]!) / sigma);

function checkSchedule(s: Scheduler, expected: readonly number[], T: number, label: string): void {
  const sigmas = s.sigmas!;
  assert.equal(sigmas.length, expected.length + 1, `${label}: N + 1 sigmas`);
  expected.forEach((e, i) =>
    assert.ok(Math.abs(sigmas[i]! - e) <= 1e-6, `${label} σ${i}: ${sigmas[i]} vs ${e}`),
  );
  assert.equal(sigmas[expected.length], 0, `${label}: the final σ is 0`);
  s.timesteps.forEach((t, i) =>
    assert.equal(t, Math.fround(sigmas[i]! * T), `${label} t${i} = T·σ in float32`),
  );
}

test('flow_euler static shift, T = 500: σ_min is shifted, spaced to 1, then every σ is shifted again', () => {
  for (const shift of [5, 0.5]) {
    for (const n of [1, 7, 30]) {
      const s = make('flow_euler', { num_train_timesteps: 500, shift });
      s.setTimesteps(n);
      const sigmaMin = shifted(shift, 1 / 500);
      checkSchedule(
        s,
        linspace(1, sigmaMin, n).map((u) => shifted(shift, u)),
        500,
        `shift ${shift} N=${n}`,
      );
      assert.equal(s.sigmas![0], 1, 'the schedule starts at pure noise');
    }
  }
});

test('flow_euler dynamic shifting: σ → e^mu/(e^mu + 1/σ − 1) from an unshifted range; linear: mu/(mu + 1/σ − 1)', () => {
  const mu = flowShiftMu(1024, {
    base_image_seq_len: 256,
    max_image_seq_len: 4096,
    base_shift: 0.5,
    max_shift: 1.15,
  });
  assert.ok(Math.abs(mu - (0.5 + (0.65 * 768) / 3840)) < 1e-12, "diffusers' calculate_shift");
  const exp = make('flow_euler', { use_dynamic_shifting: true, shift: 99 });
  exp.setTimesteps(12, { mu });
  const u = linspace(1, 1 / 1000, 12);
  checkSchedule(
    exp,
    u.map((v) => Math.exp(mu) / (Math.exp(mu) + 1 / v - 1)),
    1000,
    'exponential',
  );
  const lin = make('flow_euler', { use_dynamic_shifting: true, time_shift_type: 'linear' });
  lin.setTimesteps(12, { mu: 3 });
  checkSchedule(
    lin,
    u.map((v) => 3 / (3 + 1 / v - 1)),
    1000,
    'linear',
  );
  // The exponential form with mu = ln s is the static shift applied once (static shifting applies it twice
  // at the low end).
  const once = make('flow_euler', { use_dynamic_shifting: true });
  once.setTimesteps(9, { mu: Math.log(3) });
  checkSchedule(
    once,
    linspace(1, 1 / 1000, 9).map((v) => shifted(3, v)),
    1000,
    'mu = ln 3',
  );
  assert.throws(() => exp.setTimesteps(12), /use_dynamic_shifting needs a finite mu/);
});

test('shift_terminal stretches the schedule so that its last σ is the terminal value', () => {
  const s = make('flow_euler', { shift: 3, shift_terminal: 0.1 });
  s.setTimesteps(20);
  assert.ok(Math.abs(s.sigmas![19]! - 0.1) < 1e-6);
  assert.equal(s.sigmas![0], 1);
  const u = make('unipc', { ...FLOW_UNIPC, flow_shift: 3, shift_terminal: 0.05 });
  u.setTimesteps(20);
  assert.ok(Math.abs(u.sigmas![19]! - 0.05) < 1e-6);
});

test('flow_euler custom sigmas and timesteps are shifted like the default spacing', () => {
  const s = make('flow_euler', { shift: 3 });
  s.setTimesteps({ sigmas: [1, 0.75, 0.5, 0.25] });
  checkSchedule(
    s,
    [1, 0.75, 0.5, 0.25].map((v) => shifted(3, v)),
    1000,
    'custom sigmas',
  );
  s.setTimesteps({ timesteps: [1000, 500, 100] });
  checkSchedule(
    s,
    [1, 0.5, 0.1].map((v) => shifted(3, v)),
    1000,
    'custom timesteps',
  );
  assert.throws(() => s.setTimesteps({ sigmas: [1, 0] }), /custom sigma in \(0, 1\]/);
});

test('UniPC flow sigmas, T = 500: linspace(1, 1/T, N+1) without its end, shifted, σ₀ − 1e-6, t = ⌊T·σ⌋', () => {
  for (const flowShift of [5, 1]) {
    const s = make('unipc', { ...FLOW_UNIPC, num_train_timesteps: 500, flow_shift: flowShift });
    s.setTimesteps(16);
    const sigmas = linspace(1, 1 / 500, 17)
      .slice(0, 16)
      .map((v) => shifted(flowShift, v));
    sigmas[0] = sigmas[0]! - 1e-6;
    const got = s.sigmas!;
    sigmas.forEach((e, i) => assert.ok(Math.abs(got[i]! - e) <= 1e-6, `shift ${flowShift} σ${i}`));
    assert.equal(got[16], 0);
    assert.deepEqual(
      Array.from(s.timesteps),
      sigmas.map((v) => Math.floor(v * 500)),
    );
  }
  const dyn = make('unipc', { ...FLOW_UNIPC, use_dynamic_shifting: true });
  dyn.setTimesteps(10, { mu: Math.log(4) });
  const fixed = make('unipc', { ...FLOW_UNIPC, flow_shift: 4 });
  fixed.setTimesteps(10);
  assertClose(dyn.sigmas!, fixed.sigmas!, 'UniPC: mu = ln s is flow_shift s', 1e-6);
  assert.throws(() => dyn.setTimesteps(10), /mu/);
});

for (const [kind, config] of [
  ['flow_euler', { num_train_timesteps: 500, shift: 5 }],
  ['flow_euler', { use_dynamic_shifting: true, time_shift_type: 'linear' }],
  ['flow_euler', { shift: 3, shift_terminal: 0.2 }],
  ['unipc', { ...FLOW_UNIPC, num_train_timesteps: 500, flow_shift: 5 }],
  ['unipc', { ...FLOW_UNIPC, flow_shift: 3, solver_order: 1 }],
  ['unipc', { ...FLOW_UNIPC, use_dynamic_shifting: true, solver_type: 'bh1' }],
] as const) {
  test(`with an exact velocity, ${kind} ${JSON.stringify(config)} lands on x₀ along the straight path`, () => {
    const s = make(kind, config);
    s.setTimesteps(13, { mu: 1.1 });
    const sigmas = s.sigmas!;
    let x: Float32Array = x0.map((v, k) => (1 - sigmas[0]!) * v + sigmas[0]! * eps[k]!);
    s.timesteps.forEach((t, i) => {
      x = s.step(exactVelocity(x, sigmas[i]!), t, x).prevSample;
      // Every intermediate sample stays on the path x = (1 − σ)·x₀ + σ·ε.
      const onPath = x0.map((v, k) => (1 - sigmas[i + 1]!) * v + sigmas[i + 1]! * eps[k]!);
      assertClose(x, onPath, `${kind} step ${i}`, 1e-4);
    });
    assertClose(x, x0, `${kind} final`, 1e-5);
  });
}

test("UniPC's first flow step is the Euler step x + (σ₁ − σ₀)·v (first-order UniP on a straight path)", () => {
  const u = make('unipc', { ...FLOW_UNIPC, flow_shift: 5 });
  u.setTimesteps(8);
  const v = eps.map((e, k) => e - 0.5 * x0[k]!);
  const x = eps.map((e, k) => e + 0.01 * x0[k]!);
  const out = u.step(v, u.timesteps[0]!, x).prevSample;
  const [s0, s1] = [u.sigmas![0]!, u.sigmas![1]!];
  assertClose(
    out,
    x.map((xi, k) => xi + (s1 - s0) * v[k]!),
    'first step',
    1e-5,
  );
});

test('flow_euler stochastic sampling re-noises x̂₀ to σ_next with the given noise', () => {
  const s = make('flow_euler', { shift: 3, stochastic_sampling: true });
  s.setTimesteps(6);
  const sigmas = s.sigmas!;
  let x: Float32Array = x0.map((v, k) => (1 - sigmas[0]!) * v + sigmas[0]! * eps[k]!);
  assert.throws(() => s.step(exactVelocity(x, sigmas[0]!), s.timesteps[0]!, x), /needs the noise/);
  s.timesteps.forEach((t, i) => {
    const out = s.step(exactVelocity(x, sigmas[i]!), t, x, { noise: eps });
    assertClose(out.predOriginalSample!, x0, `x̂₀ at step ${i}`, 1e-4);
    x = out.prevSample;
  });
  assertClose(x, x0, 'final', 1e-5);
});

test('flow_euler addNoise is (1 − σ)·x₀ + σ·ε at each timestep; getVelocity is ε − x₀', () => {
  const s = make('flow_euler', { shift: 3 });
  s.setTimesteps(10);
  const batch = Float32Array.from([...x0, ...x0]);
  const noise = Float32Array.from([...eps, ...eps]);
  const ts = [s.timesteps[2]!, s.timesteps[7]!];
  const noisy = s.addNoise(batch, noise, ts);
  [2, 7].forEach((index, b) => {
    const sigma = s.sigmas![index]!;
    const expected = x0.map((v, k) => (1 - sigma) * v + sigma * eps[k]!);
    assertClose(noisy.subarray(b * 32, (b + 1) * 32), expected, `element ${b}`, 1e-6);
  });
  assertClose(
    s.getVelocity(x0, eps, ts),
    eps.map((e, k) => e - x0[k]!),
    'velocity',
    0,
    0,
  );
  assert.equal(s.betas, undefined);
  assert.equal(s.alphasCumprod, undefined);
});

test('flow settings are checked: every problem reported, each naming its key', () => {
  const issues = (kind: string, config: Record<string, unknown>) => {
    const made = createScheduler(kind, config);
    return made.ok ? [] : made.error.map((e) => e.message);
  };
  assert.deepEqual(issues('ddpm', { prediction_type: 'flow_prediction' }), [
    'prediction_type: expected one of epsilon, v_prediction, sample, got "flow_prediction"',
  ]);
  assert.deepEqual(issues('flow_euler', { prediction_type: 'epsilon', shift: 0, invert_sigmas: true }), [
    'prediction_type: expected one of flow_prediction, got "epsilon"',
    'shift: expected a number > 0, got 0',
    "invert_sigmas: expected false (Mochi's inverted sigmas are not implemented), got true",
  ]);
  assert.deepEqual(issues('unipc', { prediction_type: 'flow_prediction', use_dynamic_shifting: true }), [
    'prediction_type: flow_prediction needs use_flow_sigmas: true',
    'use_dynamic_shifting: dynamic shifting needs use_flow_sigmas: true',
  ]);
  assert.deepEqual(issues('unipc', { ...FLOW_UNIPC, predict_x0: false }), [
    'predict_x0: flow_prediction needs predict_x0: true (UniPC solves for x₀ from a flow velocity)',
  ]);
  assert.deepEqual(issues('dpmpp_2m', { use_flow_sigmas: true }).length, 1);
  const made = createScheduler('FlowMatchEulerDiscreteScheduler', {
    shift: 3,
    beta_schedule: 'scaled_linear',
  });
  assert.ok(made.ok);
  assert.deepEqual(made.value.ignoredKeys, ['beta_schedule']);
  assert.equal(made.value.scheduler.config.prediction_type, 'flow_prediction');
});
