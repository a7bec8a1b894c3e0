/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// Classifier-free guidance (Ho & Salimans 2022) and guidance rescale (Lin et al. 2023, "Common Diffusion
// Noise Schedules and Sample Steps are Flawed", §3.4), as diffusers' SDXL pipelines apply them.

/**
 * CFG on a batched model output whose first half is the unconditional prediction and second half the
 * conditional one (diffusers' batch order [uncond, cond]): out = u + w·(c − u). Returns one half's length.
 */
export function classifierFreeGuidance(batchedOutput: Float32Array, guidanceScale: number): Float32Array {
  if (batchedOutput.length % 2 !== 0) {
    throw new RangeError(`expected an [uncond, cond] batch of even length, got ${batchedOutput.length}`);
  }
  const half = batchedOutput.length / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const u = batchedOutput[i]!;
    out[i] = u + guidanceScale * (batchedOutput[half + i]! - u);
  }
  return out;
}

/** The unbiased sample standard deviation (divides by n − 1, as torch.std does by default). */
function unbiasedStd(values: Float32Array, start: number, end: number): number {
  const n = end - start;
  let mean = 0;
  for (let i = start; i < end; i++) mean += values[i]!;
  mean /= n;
  let sum = 0;
  for (let i = start; i < end; i++) sum += (values[i]! - mean) ** 2;
  return Math.sqrt(sum / (n - 1));
}

/**
 * Guidance rescale (diffusers' rescale_noise_cfg): per batch element, over all its C·H·W values,
 * rescaled = cfg · std(cond)/std(cfg) and out = φ·rescaled + (1 − φ)·cfg, with the unbiased std.
 * φ = 0 returns cfg unchanged; SDXL pipelines call this only when guidance_rescale > 0.
 *
 * @param cfg the guided prediction (batch × C × H × W, flat)
 * @param cond the conditional prediction, same shape
 * @param batchSize the number of batch elements in `cfg`
 */
export function rescaleNoiseCfg(
  cfg: Float32Array,
  cond: Float32Array,
  guidanceRescale: number,
  batchSize = 1,
): Float32Array {
  if (cfg.length !== cond.length || cfg.length % batchSize !== 0) {
    throw new RangeError(
      `expected equal lengths divisible by ${batchSize}, got ${cfg.length} and ${cond.length}`,
    );
  }
  const per = cfg.length / batchSize;
  const out = new Float32Array(cfg.length);
  for (let b = 0; b < batchSize; b++) {
    const start = b * per;
    const end = start + per;
    const ratio = unbiasedStd(cond, start, end) / unbiasedStd(cfg, start, end);
    for (let i = start; i < end; i++) {
      const g = cfg[i]!;
      out[i] = guidanceRescale * g * ratio + (1 - guidanceRescale) * g;
    }
  }
  return out;
}

/**
 * Both steps as one call, for a batched [uncond, cond] model output:
 * CFG with `guidanceScale`, then guidance rescale when `guidanceRescale` > 0.
 */
export function guide(
  batchedOutput: Float32Array,
  guidanceScale: number,
  guidanceRescale = 0,
  batchSize = 1,
): Float32Array {
  const cfg = classifierFreeGuidance(batchedOutput, guidanceScale);
  if (guidanceRescale <= 0) return cfg;
  const cond = batchedOutput.subarray(batchedOutput.length / 2);
  return rescaleNoiseCfg(cfg, cond, guidanceRescale, batchSize);
}
