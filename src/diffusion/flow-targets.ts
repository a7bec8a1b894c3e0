/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The flow-matching (rectified-flow) forward process and training target, as SD3, Flux and Wan trainers use
// them: x_σ = (1 − σ)·x₀ + σ·ε, the model predicts v = ε − x₀ at timestep t = T·σ. Tensors are batch-major
// Float32Arrays with one σ per batch element, as in targets.ts.

function perElement(length: number, batch: number): number {
  if (batch === 0 || length % batch !== 0) {
    throw new RangeError(`expected a tensor length divisible by the ${batch} sigmas, got ${length}`);
  }
  return length / batch;
}

/** x_σ = (1 − σ)·x₀ + σ·ε per batch element, σ in [0, 1]. */
export function flowNoisy(x0: Float32Array, noise: Float32Array, sigmas: ArrayLike<number>): Float32Array {
  if (x0.length !== noise.length)
    throw new RangeError(`expected equal lengths, got ${x0.length} and ${noise.length}`);
  const per = perElement(x0.length, sigmas.length);
  const out = new Float32Array(x0.length);
  for (let b = 0; b < sigmas.length; b++) {
    const s = sigmas[b]!;
    if (!(s >= 0 && s <= 1)) throw new RangeError(`expected sigmas in [0, 1], got ${s}`);
    for (let i = b * per; i < (b + 1) * per; i++) out[i] = (1 - s) * x0[i]! + s * noise[i]!;
  }
  return out;
}

/** The flow-matching target v = ε − x₀ (dx_σ/dσ; the same at every σ). */
export function flowTarget(x0: Float32Array, noise: Float32Array): Float32Array {
  if (x0.length !== noise.length)
    throw new RangeError(`expected equal lengths, got ${x0.length} and ${noise.length}`);
  return noise.map((e, i) => e - x0[i]!);
}

/** The model's timestep for each σ: t = T·σ (continuous, 0 … T). */
export function flowTimesteps(sigmas: ArrayLike<number>, numTrainTimesteps = 1000): Float64Array {
  return Float64Array.from(sigmas, (s) => s * numTrainTimesteps);
}

/** x̂₀ = x_σ − σ·v̂ from a predicted velocity, per batch element. */
export function flowPredictedOriginal(
  velocity: Float32Array,
  xt: Float32Array,
  sigmas: ArrayLike<number>,
): Float32Array {
  const per = perElement(xt.length, sigmas.length);
  return xt.map((x, i) => x - sigmas[Math.floor(i / per)]! * velocity[i]!);
}

/** Signal-to-noise ratio of x_σ: ((1 − σ)/σ)² (∞ at σ = 0, 0 at σ = 1). */
export function flowSnr(sigma: number): number {
  return ((1 - sigma) / sigma) ** 2;
}

/** The σ at which the SNR equals `snr`: 1/(1 + √snr). */
export function sigmaAtSnr(snr: number): number {
  return 1 / (1 + Math.sqrt(snr));
}
