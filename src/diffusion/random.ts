// Seeded randomness for reproducible runs: the samplers hold no random state, so callers draw timesteps and
// noise from here (or from any source of the same shape) and pass them in.

/** A small seeded generator (mulberry32): uniform numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `values` in place (Fisher–Yates, from the last element down, drawing j = ⌊random()·(i + 1)⌋) and
 * returns it: the same source gives the same order on every machine.
 */
export function shuffle<T>(values: T[], random: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i] as T;
    values[i] = values[j] as T;
    values[j] = t;
  }
  return values;
}

/**
 * `length` standard normal draws (Box–Muller: √(−2 ln u₁)·cos(2π u₂) and ·sin(2π u₂)) from a uniform source,
 * for DDPM's and DDIM's `noise` option, initial latents and training noise.
 */
export function gaussianNoise(length: number, random: () => number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const u1 = 1 - random(); // in (0, 1], so the log is finite
    const u2 = random();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Throws a RangeError unless `batchSize` is a whole number ≥ 1 (how many draws a batch sampler makes). */
export function assertBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`expected a batch size ≥ 1, got ${batchSize}`);
}
