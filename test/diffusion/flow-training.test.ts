// Flow-matching training: the forward process and target, the timestep densities, the boundary between the
// two experts given three ways, draws confined to an expert's range that keep the density's shape (at any
// batch size), and Wan's hand-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDensity,
  createScheduler,
  densityCdf,
  densityQuantile,
  flowBoundary,
  flowExpertRange,
  flowHandoff,
  flowNoisy,
  flowPredictedOriginal,
  flowSnr,
  flowTarget,
  flowTimesteps,
  normalCdf,
  normalQuantile,
  sampleFlowSigmas,
  seededRandom,
  unshiftSigma,
} from '../../src/diffusion/index.js';
import type { FlowBoundary, TimestepDensity } from '../../src/diffusion/index.js';
import { shiftSigma } from '../../src/diffusion/index.js';
import { assertClose } from './reference.js';

const x0 = Float32Array.from({ length: 24 }, (_, k) => Math.sin(0.37 * k + 0.1));
const eps = Float32Array.from({ length: 24 }, (_, k) => Math.cos(0.73 * k + 0.2));

const boundary = (spec: Parameters<typeof flowBoundary>[0]): FlowBoundary => {
  const b = flowBoundary(spec);
  assert.ok(b.ok, b.ok ? '' : b.error);
  return b.value;
};

test('x_σ = (1 − σ)·x₀ + σ·ε per batch element, target ε − x₀, t = 1000·σ, and x̂₀ = x_σ − σ·v inverts it', () => {
  const sigmas = [0.9, 0.25, 0];
  const noisy = flowNoisy(x0, eps, sigmas);
  sigmas.forEach((s, b) => {
    for (let k = 0; k < 8; k++) {
      const i = b * 8 + k;
      assert.ok(Math.abs(noisy[i]! - ((1 - s) * x0[i]! + s * eps[i]!)) < 1e-6);
    }
  });
  const target = flowTarget(x0, eps);
  target.forEach((v, i) => assert.equal(v, Math.fround(eps[i]! - x0[i]!)));
  assert.deepEqual(Array.from(flowTimesteps([1, 0.875, 0.5])), [1000, 875, 500]);
  assertClose(flowPredictedOriginal(target, noisy, sigmas), x0, 'x̂₀', 1e-5);
  assert.throws(() => flowNoisy(x0, eps, [1.5, 0, 0]), /sigmas in \[0, 1\]/);
  assert.throws(() => flowNoisy(x0, eps, [0.5, 0.5, 0.5, 0.5, 0.5]), /divisible/);
});

test('Φ and Φ⁻¹ agree with tabulated values and invert each other', () => {
  assert.ok(Math.abs(normalCdf(1.959963985) - 0.975) < 2e-7);
  assert.ok(Math.abs(normalCdf(-1) - 0.158655254) < 2e-7);
  for (const p of [1e-6, 0.01, 0.3, 0.5, 0.8, 0.999])
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 2e-7 * Math.max(1, p / 0.01), `p = ${p}`);
});

const densities: Record<string, TimestepDensity> = {
  uniform: { kind: 'uniform' },
  'logit-normal(0, 1)': { kind: 'logit_normal', mean: 0, std: 1 },
  'logit-normal(-0.5, 1.5)': { kind: 'logit_normal', mean: -0.5, std: 1.5 },
  'mode(1.29)': { kind: 'mode', scale: 1.29 },
};

test('each density: the quantile inverts the CDF, and both are monotone on [0, 1]', () => {
  for (const [name, d] of Object.entries(densities)) {
    assert.ok(checkDensity(d).ok);
    let last = -1;
    for (let i = 1; i < 100; i++) {
      const p = i / 100;
      const u = densityQuantile(d, p);
      assert.ok(u > last, `${name}: quantile increases at ${p}`);
      last = u;
      assert.ok(Math.abs(densityCdf(d, u) - p) < 1e-6, `${name}: CDF(Q(${p}))`);
    }
  }
  assert.match((checkDensity({ kind: 'mode', scale: 2 }) as { error: string }).error, /mode scale/);
  assert.match((checkDensity({ kind: 'logit_normal', mean: 0, std: 0 }) as { error: string }).error, /std/);
});

test('over the whole range, logit-normal draws have logit mean and std as configured; the shift moves σ up', () => {
  const draws = sampleFlowSigmas(
    { kind: 'logit_normal', mean: -0.5, std: 1.5 },
    1,
    { min: 0, max: 1 },
    1,
    seededRandom(1),
  );
  assert.equal(draws.length, 1);
  const random = seededRandom(2);
  const logits: number[] = [];
  for (let i = 0; i < 500; i++) {
    for (const s of sampleFlowSigmas(
      { kind: 'logit_normal', mean: -0.5, std: 1.5 },
      1,
      { min: 0, max: 1 },
      16,
      random,
    ))
      logits.push(Math.log(s / (1 - s)));
  }
  const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
  const std = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / logits.length);
  assert.ok(Math.abs(mean + 0.5) < 0.02 && Math.abs(std - 1.5) < 0.02, `mean ${mean}, std ${std}`);
  // Uniform u shifted by 3: P(σ ≤ 0.5) = u at σ = 0.5 unshifted = 0.5/(3 − 2·0.5) = 0.25.
  const shifted: number[] = [];
  const r = seededRandom(3);
  for (let i = 0; i < 400; i++)
    shifted.push(...sampleFlowSigmas({ kind: 'uniform' }, 3, { min: 0, max: 1 }, 10, r));
  const below = shifted.filter((s) => s <= 0.5).length / shifted.length;
  assert.ok(Math.abs(below - 0.25) < 0.01, `P(σ ≤ 0.5) = ${below}`);
});

/** Kolmogorov–Smirnov distance between draws and a CDF. */
function ksDistance(draws: readonly number[], cdf: (x: number) => number): number {
  const sorted = [...draws].sort((a, b) => a - b);
  let worst = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    worst = Math.max(worst, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
  });
  return worst;
}

for (const [name, density] of Object.entries(densities)) {
  for (const batch of [1, 7]) {
    test(`${name}, shift 3, batch ${batch}: draws stay in each expert's range with the density's shape there`, () => {
      const b = boundary({ boundary: 0.875 });
      for (const role of ['base', 'refiner'] as const) {
        const range = flowExpertRange(role, b);
        const random = seededRandom(batch * 31 + (role === 'base' ? 1 : 2));
        const draws: number[] = [];
        for (let i = 0; i < Math.ceil(3500 / batch); i++)
          draws.push(...sampleFlowSigmas(density, 3, range.sigmas, batch, random));
        assert.ok(
          draws.every((s) => s >= range.sigmas.min && s <= range.sigmas.max),
          `${role}: every σ inside ${range.sigmas.min}..${range.sigmas.max}`,
        );
        // The shape: the density's CDF (through the shift) conditioned on the range.
        const F = (s: number) => densityCdf(density, unshiftSigma(3, s));
        const [lo, hi] = [F(range.sigmas.min), F(range.sigmas.max)];
        const ks = ksDistance(draws, (s) => (F(s) - lo) / (hi - lo));
        // 1.63/√n: the Kolmogorov–Smirnov test's 1% critical value for independent draws.
        const bar = 1.63 / Math.sqrt(draws.length);
        assert.ok(
          ks < bar,
          `${role}: KS distance ${ks.toFixed(4)} to the conditioned density (bar ${bar.toFixed(4)})`,
        );
      }
    });
  }
}

test('a batch is stratified from high noise down, so it spans the expert range', () => {
  const range = flowExpertRange('base', boundary({ boundary: 0.9 }));
  const draws = sampleFlowSigmas({ kind: 'uniform' }, 1, range.sigmas, 4, seededRandom(5));
  for (let i = 1; i < 4; i++) assert.ok(draws[i]! < draws[i - 1]!, 'descending strata');
  assert.ok(draws[0]! > 0.975 && draws[3]! < 0.925);
});

test('the boundary: as boundary_ratio, as strength, or from an SNR threshold (and printed)', () => {
  const wan = boundary({ boundary: 0.875 });
  assert.equal(wan.boundaryTimestep, 875);
  assert.equal(wan.from, 'boundary 0.875');
  assert.equal(boundary({ strength: 0.35 }).boundary, 0.35);
  const bySnr = boundary({ snr: flowSnr(0.875) });
  assert.ok(Math.abs(bySnr.boundary - 0.875) < 1e-12);
  const half = boundary({ snr: 0.25 });
  assert.ok(Math.abs(half.boundary - 2 / 3) < 1e-12, 'SNR ((1 − σ)/σ)² = 1/4 at σ = 2/3');
  assert.equal(half.from, 'snr 0.25 → boundary 0.666667');
  assert.deepEqual(flowExpertRange('base', wan).timesteps, { min: 875, max: 1000 });
  assert.deepEqual(flowExpertRange('refiner', wan).timesteps, { min: 0, max: 875 });
  const bad = (spec: Parameters<typeof flowBoundary>[0]) => {
    const r = flowBoundary(spec);
    return r.ok ? '' : r.error;
  };
  assert.equal(bad({ boundary: 875 }), 'boundary: expected a number strictly between 0 and 1, got 875');
  assert.equal(bad({ strength: 0 }), 'strength: expected a number strictly between 0 and 1, got 0');
  assert.equal(bad({ snr: -1 }), 'snr: expected a number > 0, got -1');
});

test("Wan 2.2's hand-off: UniPC flow_shift 12, 40 steps, boundary 0.875 gives the high-noise expert 26 steps", () => {
  const made = createScheduler('unipc', {
    prediction_type: 'flow_prediction',
    use_flow_sigmas: true,
    flow_shift: 12,
  });
  assert.ok(made.ok);
  const s = made.value.scheduler;
  s.setTimesteps(40);
  const h = flowHandoff(s.timesteps, boundary({ boundary: 0.875 }));
  // By hand: t_i = ⌊1000·shift(u_i)⌋ ≥ 875 ⟺ u_i ≥ unshift(12, 0.875) = 0.875/2.375, u_i = 1 − 0.999·i/40.
  const uMin = 0.875 / (12 - 11 * 0.875);
  const byHand = Array.from({ length: 40 }, (_, i) => 1 - (0.999 * i) / 40).filter((u) => u >= uMin).length;
  assert.equal(byHand, 26);
  assert.equal(h.switchIndex, 26);
  assert.ok(h.high.every((t) => t >= 875) && h.low.every((t) => t < 875));
  assert.deepEqual([...h.high, ...h.low], Array.from(s.timesteps));
  assert.ok(Math.abs(shiftSigma(12, uMin) - 0.875) < 1e-12);
});

test('the shape check rejects a linear rescale into the range (musubi-tuner without --preserve_distribution_shape)', () => {
  const density: TimestepDensity = { kind: 'logit_normal', mean: 0, std: 1 };
  const range = flowExpertRange('base', boundary({ boundary: 0.875 }));
  const random = seededRandom(9);
  const draws: number[] = [];
  for (let i = 0; i < 3500; i++) {
    const [s] = sampleFlowSigmas(density, 3, { min: 0, max: 1 }, 1, random);
    draws.push(range.sigmas.min + s! * (range.sigmas.max - range.sigmas.min));
  }
  const F = (s: number) => densityCdf(density, unshiftSigma(3, s));
  const [lo, hi] = [F(range.sigmas.min), F(range.sigmas.max)];
  assert.ok(ksDistance(draws, (s) => (F(s) - lo) / (hi - lo)) > 0.2);
});
