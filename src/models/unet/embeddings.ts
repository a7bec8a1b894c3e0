/**
 * Timestep conditioning: diffusers' sinusoidal `Timesteps` projection and the `TimestepEmbedding` MLP.
 */
import type { Builder, Value } from '../../onnx/builder.js';
import { linear } from './modules.js';

/**
 * The frequency table of get_timestep_embedding: exp(-ln(10000)·k / (half − shift)), k = 0…half−1,
 * rounded step by step in float32 as torch computes it (the constant is float32, then each product,
 * quotient and exp).
 */
export function sinusoidFrequencies(dim: number, freqShift: number): Float32Array {
  const half = Math.floor(dim / 2);
  const out = new Float32Array(half);
  const logMax = Math.fround(-Math.log(10000));
  const denom = Math.fround(half - freqShift);
  for (let k = 0; k < half; k++) {
    const exponent = Math.fround(Math.fround(logMax * k) / denom);
    out[k] = Math.fround(Math.exp(exponent));
  }
  return out;
}

/**
 * Sinusoidal features of a 1-D tensor of N values → [N, dim]: [sin | cos], or [cos | sin] when
 * flip_sin_to_cos; an odd dim gets a zero column at the end, as diffusers pads.
 */
export function sinusoidEmbedding(
  b: Builder,
  t: Value,
  dim: number,
  flipSinToCos: boolean,
  freqShift: number,
  name: string,
): Value {
  const freqs = b.constant(sinusoidFrequencies(dim, freqShift), {
    dims: [1, Math.floor(dim / 2)],
    name: `${name}.freqs`,
  });
  const args = b.mul(b.unsqueeze(t, [1], `${name}.column`), freqs, `${name}.args`);
  const sin = b.sin(args, `${name}.sin`);
  const cos = b.cos(args, `${name}.cos`);
  const parts = flipSinToCos ? [cos, sin] : [sin, cos];
  if (dim % 2 === 1) {
    const zeros = b.mul(
      b.slice(args, [0], [1], [1], undefined, `${name}.pad_src`),
      b.scalar(0),
      `${name}.pad`,
    );
    parts.push(zeros);
  }
  return b.concat(parts, 1, name);
}

/** TimestepEmbedding: linear_1 → SiLU → linear_2 (the module's scope is the caller's). */
export function timestepEmbedding(b: Builder, x: Value, inDim: number, outDim: number): Value {
  const h = linear(b, x, 'linear_1', outDim, inDim);
  return linear(b, b.silu(h, 'act'), 'linear_2', outDim, outDim);
}
