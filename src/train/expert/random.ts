/**
 * Counter-based randomness for training: every draw is a pure function of (seed, micro-batch, stream),
 * so a run resumed at any step draws exactly what an uninterrupted run draws there, and the "RNG state"
 * a checkpoint needs is just the seed and the step.
 */
import { seededRandom } from '../../diffusion/index.js';

/** What a draw is for; each gets its own independent stream. */
export const STREAM = { order: 1, timesteps: 2, noise: 3, dropout: 4 } as const;

/** Mixes 32-bit integers into one well-spread 32-bit seed (murmur3's finaliser after each part). */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Split numbers beyond 32 bits so large step counts still mix in fully.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** A uniform [0, 1) generator for one (seed, counter, stream). */
export function streamRandom(seed: number, counter: number, stream: number): () => number {
  return seededRandom(mixSeed(seed, counter, stream));
}

/**
 * Fills `out` with standard normal values (Box–Muller on pairs of uniforms, computed in float64).
 */
export function fillGaussian(out: Float32Array, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - random(); // in (0, 1]: log stays finite
    const u2 = random();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
