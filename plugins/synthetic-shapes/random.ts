// Seeded randomness with no global state: each image gets its own generator derived from (seed, index),
// so image i is the same whatever the count, and generation order does not matter. The generator
// (mulberry32) and the shuffle are moe's own, from its public `moe/diffusion` entry.
export { seededRandom as generator, shuffle } from 'moe/diffusion';

/** A 32-bit integer hash of a list of integers (murmur3's finaliser applied per element). */
export function mix(...values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
