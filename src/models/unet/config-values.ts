/**
 * Reading values out of a config.json object: typed getters that refuse a bad value with the option's
 * name, and diffusers' per-block list conventions.
 */

export interface ConfigError {
  readonly reason: 'unsupported' | 'invalid';
  /** The config.json key at fault. */
  readonly option: string;
  readonly message: string;
}

export type Json = Record<string, unknown>;

export class Refusal extends Error {
  constructor(readonly detail: ConfigError) {
    super(detail.message);
  }
}

const show = (v: unknown): string => JSON.stringify(v);

export function unsupported(option: string, value: unknown, why = 'moe does not build it'): never {
  throw new Refusal({
    reason: 'unsupported',
    option,
    message: `unsupported ${option} = ${show(value)} (${why})`,
  });
}

export function invalid(option: string, value: unknown, expected: string): never {
  throw new Refusal({
    reason: 'invalid',
    option,
    message: `invalid ${option} = ${show(value)}: expected ${expected}`,
  });
}

export function int(c: Json, key: string, min = 1): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) invalid(key, v, `an integer ≥ ${min}`);
  return v;
}

export function num(c: Json, key: string): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(key, v, 'a number');
  return v;
}

export function bool(c: Json, key: string): boolean {
  const v = c[key];
  if (typeof v !== 'boolean') invalid(key, v, 'true or false');
  return v;
}

/** An int broadcast to `n` blocks, or a list of `n` ints. */
export function perBlock(c: Json, key: string, n: number, min = 1): number[] {
  const v = c[key];
  if (typeof v === 'number') return new Array<number>(n).fill(int(c, key, min));
  if (
    !Array.isArray(v) ||
    v.length !== n ||
    v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min)
  ) {
    invalid(key, v, `an integer or a list of ${n} integers (one per block)`);
  }
  return v as number[];
}

/** transformer_layers_per_block entries: an int per block or a list per layer. */
export type LayerCounts = number | number[];

export function layerCounts(key: string, v: unknown, n: number): LayerCounts[] {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return new Array<LayerCounts>(n).fill(v);
  const okEntry = (x: unknown): boolean =>
    (typeof x === 'number' && Number.isInteger(x) && x >= 0) ||
    (Array.isArray(x) && x.every((y) => typeof y === 'number' && Number.isInteger(y) && y >= 0));
  if (!Array.isArray(v) || v.length !== n || !v.every(okEntry)) {
    invalid(key, v, `an integer or a list of ${n} entries, each an integer or a list of integers per layer`);
  }
  return v as LayerCounts[];
}

export function perLayer(key: string, counts: LayerCounts, layers: number): number[] {
  if (typeof counts === 'number') return new Array<number>(layers).fill(counts);
  if (counts.length < layers)
    invalid(key, counts, `at least ${layers} entries for a block of ${layers} layers`);
  return counts.slice(0, layers);
}
