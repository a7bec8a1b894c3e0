// Shared by the diffusion tests: the diffusers reference data and an array comparison that names the first
// index that differs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePath } from '../fixtures/reference-data.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const referenceDir = referencePath('diffusers');

const cache = new Map<string, unknown>();

/** One of the reference JSON files (parsed once per test file). */
export function reference<T>(name: string): T {
  if (!cache.has(name)) cache.set(name, JSON.parse(readFileSync(path.join(referenceDir, name), 'utf8')));
  return cache.get(name) as T;
}

/** A reference number: non-finite values are stored as the strings "NaN", "Infinity", "-Infinity". */
export const num = (v: number | string): number => (typeof v === 'string' ? Number(v) : v);

export const f32 = Math.fround;

/** The reference files' beta configurations as diffusers config keys. */
export const BETA_CONFIGS: Readonly<Record<string, Record<string, unknown>>> = {
  scaled_linear_sdxl: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
  linear_sdxl: { beta_schedule: 'linear', beta_start: 0.00085, beta_end: 0.012 },
  linear_default: { beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 },
};

export const KIND_OF_CLASS: Readonly<Record<string, string>> = {
  DDPMScheduler: 'ddpm',
  DDIMScheduler: 'ddim',
  EulerDiscreteScheduler: 'euler',
  UniPCMultistepScheduler: 'unipc',
  DPMSolverMultistepScheduler: 'dpmpp_2m',
};

/**
 * Asserts |actual_i − expected_i| ≤ rtol · max(|expected_i|, floor · max_j |expected_j|) for every i, and that
 * non-finite reference values (NaN, ±∞) are matched exactly. The floor (a tenth of the tensor's largest
 * magnitude by default) exists because a value that is the small difference of large float32 terms carries
 * the rounding of those terms in the reference, not a rounding relative to itself.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number | string>,
  label: string,
  rtol = 1e-5,
  floor = 0.1,
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${label}: expected length ${expected.length}, got ${actual.length}`,
  );
  let scale = 0;
  for (const v of Array.from(expected)) {
    const e = num(v);
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  }
  for (let i = 0; i < expected.length; i++) {
    const e = num(expected[i]!);
    const a = actual[i]!;
    if (!Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${label}[${i}]: expected ${e}, got ${a}`,
      );
      continue;
    }
    const tol = rtol * Math.max(Math.abs(e), floor * scale);
    assert.ok(
      Math.abs(a - e) <= tol,
      `${label}: first difference at index ${i}: expected ${e}, got ${a} (|Δ| ${Math.abs(a - e).toExponential(3)} > ${tol.toExponential(3)})`,
    );
  }
}

/** Asserts two arrays are equal value for value, naming the first index that differs. */
export function assertExact(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(
    actual.length,
    expected.length,
    `${label}: expected length ${expected.length}, got ${actual.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Object.is(actual[i], expected[i]),
      `${label}: first difference at index ${i}: expected ${expected[i]}, got ${actual[i]}`,
    );
  }
}

/**
 * trajectories.json's deterministic "model": ((0.1·x_in) + 0.01·t/1000) + 0.02·c, in float32 operation by
 * operation as torch runs it (0.01·t/1000 is a Python float).
 */
export function referenceModel(xIn: Float32Array, t: number, c: Float32Array): Float32Array {
  return xIn.map((v, k) => f32(f32(f32(0.1 * v) + (0.01 * t) / 1000) + f32(0.02 * c[k]!)));
}
