/** Arithmetic on symbolic dims and small known values, shared by the shape rules. */
import type { Dim, Shape } from '../ir.js';
import { UNKNOWN_DIM } from '../ir.js';

export function smallValue(a: ArrayLike<number | bigint>): Dim[] | undefined {
  if (a.length > 64) return undefined;
  return Array.from(a, (x) => Number(x));
}

// ---------------------------------------------------------------------------------------------------
// Dim arithmetic

export function dimEq(a: Dim, b: Dim): boolean {
  return a === b && a !== UNKNOWN_DIM;
}

export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (dimEq(x, y)) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number')
      throw new Error(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    // A size above 1 wins; otherwise prefer a named symbol over an unknown (valid graphs broadcast to it).
    else if (typeof x === 'number' || typeof y === 'number') out.push(typeof x === 'number' ? x : y);
    else out.push(x === UNKNOWN_DIM ? y : x === y || y === UNKNOWN_DIM ? x : UNKNOWN_DIM);
  }
  return out;
}

export function dimMul(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : UNKNOWN_DIM;
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Reshape's target: 0 copies the input dim (unless allowzero), -1 takes what is left. */
export function reshapeTarget(input: Shape, target: readonly Dim[], allowZero = false): Shape {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input[i] ?? UNKNOWN_DIM) : d));
  const inferIdx = out.indexOf(-1);
  if (inferIdx < 0) return out;
  // Cancel symbols that appear on both sides, then divide what is numeric.
  const rest = input.slice() as Dim[];
  let known = 1;
  let ok = true;
  for (let i = 0; i < out.length; i++) {
    if (i === inferIdx) continue;
    const d = out[i] as Dim;
    if (typeof d === 'number') known *= d;
    else {
      const j = rest.indexOf(d);
      if (j >= 0 && d !== UNKNOWN_DIM) rest.splice(j, 1);
      else ok = false;
    }
  }
  let total = 1;
  const symbols: Dim[] = [];
  for (const d of rest) {
    if (typeof d === 'number') total *= d;
    else {
      // Products this function wrote earlier (`6*batch`, `height*width`) split back into their factors.
      for (const part of d.split('*')) {
        if (/^\d+$/.test(part)) total *= Number(part);
        else symbols.push(part);
      }
    }
  }
  if (symbols.includes(UNKNOWN_DIM)) ok = false;
  if (ok && symbols.length === 0) {
    if (total % known !== 0) throw new Error(`cannot reshape [${input.join(',')}] to [${target.join(',')}]`);
    out[inferIdx] = total / known;
  } else if (ok && symbols.length > 0 && total % known === 0) {
    // A product of symbols (times what is left of the numbers): `height*width`, `4*height*width`.
    const factor = total / known;
    out[inferIdx] = (factor === 1 ? symbols : [factor, ...symbols]).join('*');
  } else out[inferIdx] = UNKNOWN_DIM;
  return out;
}

export function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`${what} is not known`);
  return x;
}

export function nums(v: readonly Dim[] | undefined, what: string): number[] {
  const arr = need(v, what);
  return arr.map((d) => {
    if (typeof d !== 'number') throw new Error(`${what} has a symbolic entry`);
    return d;
  });
}

/**
 * A symbolic dim divided by a whole factor: `height/2`, and `(height/2)/2` written `height/4`. The name
 * stands for the size a strided conv gives; sizes that do not divide get the same (rounded) label on every
 * value, so equal labels still mean equal sizes.
 */
export function divDim(d: string, f: number): string {
  if (d === UNKNOWN_DIM) return d;
  const m = /^(.*)\/(\d+)$/.exec(d);
  return m ? `${m[1]}/${Number(m[2]) * f}` : `${d}/${f}`;
}

/** A symbolic dim times a whole factor: the inverse of divDim where it applies (`height/2` × 2 = `height`). */
export function mulDim(d: string, f: number): string {
  if (d === UNKNOWN_DIM) return d;
  const m = /^(.*)\/(\d+)$/.exec(d);
  if (m) {
    const den = Number(m[2]);
    if (den === f) return m[1] as string;
    if (den % f === 0) return `${m[1]}/${den / f}`;
  }
  return `${d}*${f}`;
}

export function convDim(input: Dim, k: number, stride: number, padSum: number, dilation: number): Dim {
  if (typeof input === 'number') return Math.floor((input + padSum - dilation * (k - 1) - 1) / stride) + 1;
  const extra = padSum - dilation * (k - 1);
  if (stride === 1) return extra === 0 ? input : UNKNOWN_DIM;
  // 'same'-style padding (or one short, as diffusers' downsample_padding 0): the size divides by the stride.
  return extra === 0 || extra === stride - 1 || extra === -1 ? divDim(input, stride) : UNKNOWN_DIM;
}

export function sliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  return [s, e];
}
