/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// Zero-terminal-SNR rescale: Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed",
// Algorithm 1 (diffusers' `rescale_zero_terminal_snr`, SimpleTuner's `enforce_zero_terminal_snr`).
import { cumprodF32 } from './numeric.js';

const f32 = Math.fround;

/**
 * Rescales betas so that the last timestep has signal-to-noise ratio exactly 0 while the first keeps its value:
 * with s_t = √ᾱ_t, s'_t = (s_t − s_{T−1}) · s_0 / (s_0 − s_{T−1}); ᾱ'_t = s'_t²; α'_t = ᾱ'_t / ᾱ'_{t−1}
 * (α'_0 = ᾱ'_0); β'_t = 1 − α'_t. Hence β'_{T−1} = 1 and ᾱ'_{T−1} = 0.
 * Computed in float32 operation by operation as diffusers does, because the shift s_t − s_{T−1} cancels most
 * digits near the end of the schedule and the trained models saw the float32 result.
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const sqrtBar = cumprodF32(betas.map((b) => f32(1 - b))).map((a) => f32(Math.sqrt(a)));
  const first = sqrtBar[0] ?? 1;
  const last = sqrtBar[n - 1] ?? 0;
  const scale = f32(first / f32(first - last));
  const alphasBar = sqrtBar.map((s) => {
    const shifted = f32(f32(s - last) * scale);
    return f32(shifted * shifted);
  });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const alpha = i === 0 ? alphasBar[0]! : f32(alphasBar[i]! / alphasBar[i - 1]!);
    out[i] = f32(1 - alpha);
  }
  return out;
}
