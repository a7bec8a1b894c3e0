// Properties derived by hand, on configurations the reference files do not cover (T = 500,
// squaredcos_cap_v2, zero-SNR with v-prediction, 12 steps): the implementation must be general.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../src/diffusion/index.js';
import type { PredictionType, Scheduler } from '../../src/diffusion/index.js';
import { assertClose } from './reference.js';

const x0 = Float32Array.from({ length: 32 }, (_, k) => Math.sin(0.37 * k + 0.1));
const eps = Float32Array.from({ length: 32 }, (_, k) => Math.cos(0.73 * k + 0.2));

function make(kind: string, config: Record<string, unknown>): Scheduler {
  const made = createScheduler(kind, config);
  assert.ok(made.ok, JSON.stringify(made.ok ? '' : made.error));
  return made.value.scheduler;
}

/**
 * An exact model: given the noise level of the current sample x, the ε that explains x with the true x₀,
 * reported as the requested prediction type. α, σ are the variance-preserving signal and noise scales.
 */
function oracle(type: PredictionType, x: Float32Array, alpha: number, sigma: number): Float32Array {
  return x.map((xi, k) => {
    const e = (xi - alpha * x0[k]!) / sigma;
    return type === 'epsilon' ? e : type === 'v_prediction' ? alpha * e - sigma * x0[k]! : x0[k]!;
  });
}

/** α and σ of the sample at loop index i: from ᾱ_t for DDPM/DDIM, from the Karras σ for the others. */
function levels(s: Scheduler, i: number, t: number): { alpha: number; sigma: number; karras?: number } {
  if (s.sigmas === undefined) {
    const a = s.alphasCumprod![t]!;
    return { alpha: Math.sqrt(a), sigma: Math.sqrt(1 - a) };
  }
  const k = s.sigmas[i]!;
  const alpha = 1 / Math.sqrt(k * k + 1);
  return { alpha, sigma: k * alpha, karras: k };
}

const configs: Record<string, Record<string, unknown>> = {
  'squaredcos_cap_v2 T=500': {
    num_train_timesteps: 500,
    beta_schedule: 'squaredcos_cap_v2',
    clip_sample: false,
  },
  'scaled_linear zero-SNR': {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
    rescale_betas_zero_snr: true,
    clip_sample: false,
  },
};

for (const [configName, config] of Object.entries(configs)) {
  for (const kind of ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m']) {
    for (const type of ['epsilon', 'v_prediction', 'sample'] as PredictionType[]) {
      for (const spacing of ['trailing', 'leading', 'linspace']) {
        // At SNR 0 an ε-model cannot tell x₀ (x₀ = (x − ε)/0): the method pairs zero-SNR with v or x₀. The
        // cosine schedule's ᾱ_{T−1} ≈ 1e-9 is nearly that: float32 ε is amplified 3·10⁴-fold at t = T−1, so
        // ε-prediction is checked there only with leading spacing, which stays clear of T−1.
        if (type === 'epsilon' && (configName.includes('zero-SNR') || spacing !== 'leading')) continue;
        const name = `${kind} ${configName} ${type} ${spacing}`;
        test(`with an exact model, ${name} lands on x₀ (every x̂₀ is x₀)`, () => {
          const s = make(kind, {
            ...config,
            prediction_type: type,
            timestep_spacing: spacing,
            set_alpha_to_one: true,
          });
          s.setTimesteps(12);
          // Start on the forward process at the first timestep's noise level.
          const start = levels(s, 0, s.timesteps[0]!);
          let x: Float32Array =
            start.karras === undefined
              ? x0.map((v, k) => start.alpha * v + start.sigma * eps[k]!)
              : s.kind === 'euler'
                ? x0.map((v, k) => v + start.karras! * eps[k]!)
                : x0.map((v, k) => start.alpha * v + start.sigma * eps[k]!);
          let lastEps = eps;
          s.timesteps.forEach((t, i) => {
            const xIn = s.scaleModelInput(x, t);
            const { alpha, sigma } = levels(s, i, t);
            lastEps = xIn.map((v, k) => (v - alpha * x0[k]!) / sigma);
            // DDPM's posterior noise is switched off (z = 0): its mean step is then deterministic too.
            const out = s.step(
              oracle(type, xIn, alpha, sigma),
              t,
              x,
              kind === 'ddpm' ? { noise: new Float32Array(32) } : {},
            );
            if (out.predOriginalSample !== undefined)
              assertClose(out.predOriginalSample, x0, `${name} x̂₀ at step ${i}`, 1e-3);
            x = out.prevSample;
          });
          // DDIM steps to t − ⌊T/N⌋, not to the next entry: a trailing schedule whose last timestep is 41
          // (T = 500, N = 12) ends at t = 0, i.e. at √ᾱ_0·x₀ + √(1 − ᾱ_0)·ε̂, not at x₀.
          const T = s.config.num_train_timesteps;
          const last = s.timesteps[s.timesteps.length - 1]! - Math.floor(T / 12);
          const expected =
            kind === 'ddim' && last >= 0
              ? x0.map(
                  (v, k) =>
                    Math.sqrt(s.alphasCumprod![last]!) * v +
                    Math.sqrt(1 - s.alphasCumprod![last]!) * lastEps[k]!,
                )
              : x0;
          assertClose(x, expected, `${name} final sample`, 1e-3);
        });
      }
    }
  }
}

test('UniPC and DPM-Solver++ take the same first step (both first-order in λ, no corrector yet), and differ afterwards', () => {
  const config = {
    num_train_timesteps: 500,
    beta_schedule: 'squaredcos_cap_v2',
    timestep_spacing: 'trailing',
  };
  const u = make('unipc', config);
  const d = make('dpmpp_2m', config);
  u.setTimesteps(8);
  d.setTimesteps(8);
  const model = (x: Float32Array) => x.map((v, k) => 0.3 * v + 0.1 * eps[k]!);
  let xu: Float32Array = Float32Array.from(eps);
  let xd: Float32Array = Float32Array.from(eps);
  xu = u.step(model(xu), u.timesteps[0]!, xu).prevSample;
  xd = d.step(model(xd), d.timesteps[0]!, xd).prevSample;
  assertClose(xu, xd, 'first step', 1e-6);
  // By hand: x' = (σ_t'/σ_t)·x − α'·(e^{−h} − 1)·x̂₀ with the x̂₀ of an ε-model.
  const [s0, s1] = [d.sigmas![0]!, d.sigmas![1]!];
  const a0 = 1 / Math.sqrt(s0 * s0 + 1);
  const a1 = 1 / Math.sqrt(s1 * s1 + 1);
  const h = Math.log(a1 / (s1 * a1)) - Math.log(a0 / (s0 * a0));
  const m = model(Float32Array.from(eps));
  const expected = eps.map(
    (x, k) => ((s1 * a1) / (s0 * a0)) * x - a1 * (Math.exp(-h) - 1) * ((x - s0 * a0 * m[k]!) / a0),
  );
  assertClose(xd, expected, 'first step by hand', 1e-5);
  const nu = u.step(model(xu), u.timesteps[1]!, xu).prevSample;
  const nd = d.step(model(xd), d.timesteps[1]!, xd).prevSample;
  assert.ok(
    nu.some((v, k) => Math.abs(v - nd[k]!) > 1e-6),
    'second steps differ (UniC corrector vs 2M)',
  );
});
