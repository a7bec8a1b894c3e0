// Noise schedules: betas, alphas and their cumulative product ᾱ_t, as diffusers builds them.
//
// diffusers builds every schedule in float32 torch tensors, and the trained models saw exactly those float32
// values. So this module reproduces torch's float32 arithmetic (each operation rounded with Math.fround) and
// returns the values in Float64Arrays: the numbers are diffusers' float32 numbers, the storage leaves callers
// free to compute with them in float64.
import { cumprodF32, torchLinspaceF32 } from './numeric.js';
import { rescaleZeroTerminalSnr } from './zero-snr.js';

const f32 = Math.fround;

/** The beta schedules diffusers' DDPM, DDIM, Euler, UniPC and DPM-Solver++ schedulers share. */
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];

/** What a noise schedule is made from, in diffusers' terms (snake_case there). */
export interface NoiseScheduleSpec {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** When given, used as the betas verbatim (diffusers' `trained_betas`); the other fields are ignored. */
  readonly trainedBetas?: readonly number[] | undefined;
  readonly rescaleBetasZeroSnr: boolean;
}

export interface NoiseSchedule {
  /** β_t for t = 0 … T−1. */
  readonly betas: Float64Array;
  /** α_t = 1 − β_t. */
  readonly alphas: Float64Array;
  /** ᾱ_t = ∏_{s≤t} α_s. Under zero-terminal SNR ᾱ_{T−1} is exactly 0 here (DDPM and DDIM keep it so). */
  readonly alphasCumprod: Float64Array;
}

/**
 * The "squaredcos_cap_v2" schedule (Nichol & Dhariwal 2021, "Improved DDPM", eq. 17):
 * ᾱ(t) = cos²((t + 0.008)/1.008 · π/2), β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), max_beta), computed in float64 and
 * stored as float32, as diffusers' `betas_for_alpha_bar` does.
 */
export function betasForAlphaBar(numTimesteps: number, maxBeta = 0.999): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    const t1 = i / numTimesteps;
    const t2 = (i + 1) / numTimesteps;
    betas[i] = f32(Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta));
  }
  return betas;
}

/**
 * The betas of a schedule before any zero-SNR rescale.
 * linear: linspace(β_start, β_end, T); scaled_linear: linspace(√β_start, √β_end, T)² (Stable Diffusion, SDXL,
 * SSD-1B: 0.00085 … 0.012); squaredcos_cap_v2: see {@link betasForAlphaBar}.
 */
export function makeBetas(spec: NoiseScheduleSpec): Float64Array {
  if (spec.trainedBetas !== undefined) return Float64Array.from(spec.trainedBetas, f32);
  const n = spec.numTrainTimesteps;
  switch (spec.betaSchedule) {
    case 'linear':
      return torchLinspaceF32(spec.betaStart, spec.betaEnd, n);
    case 'scaled_linear': {
      const roots = torchLinspaceF32(Math.sqrt(spec.betaStart), Math.sqrt(spec.betaEnd), n);
      return roots.map((r) => f32(r * r));
    }
    case 'squaredcos_cap_v2':
      return betasForAlphaBar(n);
  }
}

/** Builds β, α and ᾱ for a spec, applying the zero-terminal-SNR rescale when asked. */
export function makeNoiseSchedule(spec: NoiseScheduleSpec): NoiseSchedule {
  let betas = makeBetas(spec);
  if (spec.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  const alphas = betas.map((b) => f32(1 - b));
  return { betas, alphas, alphasCumprod: cumprodF32(alphas) };
}

/**
 * The value Euler, UniPC and DPM-Solver++ put in place of ᾱ_{T−1} = 0 under zero-terminal SNR, so that
 * σ_max = √((1 − ᾱ)/ᾱ) stays finite (≈ 4096). DDPM and DDIM keep the exact 0.
 */
export const ZERO_SNR_TERMINAL_ALPHA_CUMPROD = 2 ** -24;

/** A copy of ᾱ with the last entry clamped to 2^-24 when it is 0 (diffusers' sigma-based schedulers). */
export function clampTerminalAlphaCumprod(alphasCumprod: Float64Array, rescaled: boolean): Float64Array {
  const out = Float64Array.from(alphasCumprod);
  if (rescaled && out.length > 0) out[out.length - 1] = ZERO_SNR_TERMINAL_ALPHA_CUMPROD;
  return out;
}

/**
 * Karras-style noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t) for every training timestep, in float32 as diffusers keeps
 * them (ascending in t).
 */
export function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}
