// Seeded Gaussian noise for samplers and evaluation: the same seed gives the same numbers on every
// machine (no Math.random, no platform RNG), so a composed image or an evaluation loss is reproducible.
import { seededRandom } from '../diffusion/index.js';

/**
 * `count` standard normal values from `seed`: Box–Muller over a mulberry32 stream (both values of each
 * pair used). The uniform draw is moved off 0 so the logarithm stays finite.
 */
export function seededNormal(seed: number, count: number): Float32Array {
  const uniform = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = Math.max(uniform(), 1e-12);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** A sampler's starting latents for one seed: standard normal noise scaled to its initial σ. */
export function initialNoise(seed: number, count: number, sigma: number): Float32Array {
  return seededNormal(seed, count).map((v) => v * sigma);
}

/**
 * Fixed noise for the `index`-th evaluation item under `seed`: the same draws for every expert and every
 * run with this seed, distinct per item.
 */
export function itemNoise(seed: number, index: number, count: number): Float32Array {
  return seededNormal((seed + Math.imul(index + 1, 0x9e3779b1)) >>> 0, count);
}
