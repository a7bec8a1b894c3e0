/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The forward process q(x_t | x_0) and the quantities a denoiser is trained to predict.
// Tensors are batch-major Float32Arrays; `timesteps` holds one training timestep per batch element, so each
// element of x occupies x.length / timesteps.length consecutive values. Arithmetic is float64 per value.

/** What the model outputs: the noise ε, the velocity v (Salimans & Ho 2022) or the clean sample x₀. */
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];

/** Per batch element: √ᾱ_t and √(1 − ᾱ_t). */
interface Coefficients {
  readonly perSample: number;
  readonly signal: Float64Array;
  readonly noise: Float64Array;
}

function coefficients(
  length: number,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
): Coefficients {
  const batch = timesteps.length;
  if (batch === 0 || length % batch !== 0) {
    throw new RangeError(`expected a tensor length divisible by the ${batch} timesteps, got ${length}`);
  }
  const signal = new Float64Array(batch);
  const noise = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    const t = timesteps[b]!;
    const a = alphasCumprod[t];
    if (!Number.isInteger(t) || a === undefined) {
      throw new RangeError(`expected integer timesteps in 0..${alphasCumprod.length - 1}, got ${t}`);
    }
    signal[b] = Math.sqrt(a);
    noise[b] = Math.sqrt(1 - a);
  }
  return { perSample: length / batch, signal, noise };
}

/** out = c1·x + c2·y per batch element, with (c1, c2) chosen from √ᾱ and √(1−ᾱ). */
function combine(
  x: Float32Array,
  y: Float32Array,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
  pick: (signal: number, noise: number) => readonly [number, number],
): Float32Array {
  if (x.length !== y.length) throw new RangeError(`expected equal lengths, got ${x.length} and ${y.length}`);
  const c = coefficients(x.length, alphasCumprod, timesteps);
  const out = new Float32Array(x.length);
  for (let b = 0; b < c.signal.length; b++) {
    const [c1, c2] = pick(c.signal[b]!, c.noise[b]!);
    const end = (b + 1) * c.perSample;
    for (let i = b * c.perSample; i < end; i++) out[i] = c1 * x[i]! + c2 * y[i]!;
  }
  return out;
}

/**
 * The forward process (Ho et al. 2020, eq. 4): x_t = √ᾱ_t · x₀ + √(1 − ᾱ_t) · ε.
 * diffusers' DDPMScheduler.add_noise (DDIM's is identical).
 */
export function addNoise(
  x0: Float32Array,
  noise: Float32Array,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
): Float32Array {
  return combine(x0, noise, alphasCumprod, timesteps, (s, n) => [s, n]);
}

/**
 * The velocity target (Salimans & Ho 2022, "Progressive Distillation", §4): v = √ᾱ_t · ε − √(1 − ᾱ_t) · x₀,
 * looked up by timestep. (diffusers' EulerDiscreteScheduler.get_velocity looks ᾱ up by the timestep's
 * position in the inference schedule instead, which is a bug; this is the correct formula for every sampler.)
 */
export function velocity(
  x0: Float32Array,
  noise: Float32Array,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
): Float32Array {
  return combine(noise, x0, alphasCumprod, timesteps, (s, n) => [s, -n]);
}

/** The training target for a prediction type: ε, v or x₀ (what SimpleTuner's loss compares against). */
export function predictionTarget(
  type: PredictionType,
  x0: Float32Array,
  noise: Float32Array,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
): Float32Array {
  switch (type) {
    case 'epsilon':
      return Float32Array.from(noise);
    case 'v_prediction':
      return velocity(x0, noise, alphasCumprod, timesteps);
    case 'sample':
      return Float32Array.from(x0);
  }
}

/** c1·x_t + c2·(model output) per prediction type, from √ᾱ and √(1−ᾱ); null where the output is the quantity itself. */
type FromOutputTable = Readonly<
  Record<PredictionType, ((signal: number, noise: number) => readonly [number, number]) | null>
>;

/** A model output at x_t, for its prediction type, turned into another quantity (x₀, ε or v). */
export type FromOutput = (
  type: PredictionType,
  modelOutput: Float32Array,
  xt: Float32Array,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
) => Float32Array;

function fromOutput(table: FromOutputTable): FromOutput {
  return (type, modelOutput, xt, alphasCumprod, timesteps) => {
    const pick = table[type];
    return pick ? combine(xt, modelOutput, alphasCumprod, timesteps, pick) : Float32Array.from(modelOutput);
  };
}

/**
 * x₀ from a model output at x_t: ε → (x_t − √(1−ᾱ)·ε)/√ᾱ; v → √ᾱ·x_t − √(1−ᾱ)·v; sample → itself.
 * At ᾱ = 0 (zero-terminal SNR, t = T−1) the ε form divides by zero, as in diffusers.
 */
export const predictedOriginal: FromOutput = fromOutput({
  epsilon: (s, n) => [1 / s, -n / s],
  v_prediction: (s, n) => [s, -n],
  sample: null,
});

/** ε from a model output at x_t: v → √ᾱ·v + √(1−ᾱ)·x_t; sample → (x_t − √ᾱ·x₀)/√(1−ᾱ); ε → itself. */
export const predictedEpsilon: FromOutput = fromOutput({
  epsilon: null,
  v_prediction: (s, n) => [n, s],
  sample: (s, n) => [1 / n, -s / n],
});

/** v from a model output at x_t, through x₀ and ε: v = √ᾱ·ε − √(1−ᾱ)·x₀. */
export const predictedVelocity: FromOutput = (type, modelOutput, xt, alphasCumprod, timesteps) => {
  if (type === 'v_prediction') return Float32Array.from(modelOutput);
  const x0 = predictedOriginal(type, modelOutput, xt, alphasCumprod, timesteps);
  const eps = predictedEpsilon(type, modelOutput, xt, alphasCumprod, timesteps);
  return velocity(x0, eps, alphasCumprod, timesteps);
};

/** Signal-to-noise ratio of x_t: SNR(t) = ᾱ_t / (1 − ᾱ_t) (Kingma et al. 2021). 0 at a zero-SNR terminal step. */
export function snr(alphaCumprod: number): number {
  return alphaCumprod / (1 - alphaCumprod);
}

/**
 * Min-SNR-γ loss weights (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy"), as
 * SimpleTuner applies them to an MSE against each target:
 * - epsilon: min(SNR, γ) / SNR
 * - v_prediction: min(SNR, γ) / (SNR + 1) — the v loss already carries a factor SNR + 1 relative to the x₀
 *   loss, hence the different divisor
 * - sample: min(SNR, γ)
 * At a zero-SNR terminal step SNR = 0: the epsilon weight is 0/0 in SimpleTuner; here it is its limit 1
 * (min(SNR, γ)/SNR = 1 whenever SNR < γ), so one timestep cannot turn a whole batch's loss into NaN.
 */
export function minSnrWeights(
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
  gamma: number,
  type: PredictionType,
): Float64Array {
  if (!(gamma > 0)) throw new RangeError(`expected gamma > 0, got ${gamma}`);
  const out = new Float64Array(timesteps.length);
  for (let b = 0; b < timesteps.length; b++) {
    const a = alphasCumprod[timesteps[b]!];
    if (a === undefined) throw new RangeError(`expected a timestep in 0..${alphasCumprod.length - 1}`);
    const s = snr(a);
    const clipped = Math.min(s, gamma);
    switch (type) {
      case 'epsilon':
        out[b] = s === 0 ? 1 : clipped / s;
        break;
      case 'v_prediction':
        out[b] = clipped / (s + 1);
        break;
      case 'sample':
        out[b] = clipped;
        break;
    }
  }
  return out;
}
