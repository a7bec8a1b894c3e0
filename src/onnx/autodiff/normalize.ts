/**
 * The shared backward of the normalisations (LayerNormalization, InstanceNormalization,
 * GroupNormalization): with x̂ = (x − μ)·r and r = 1/√(σ² + ε) over the normalised axes, and g the
 * gradient reaching x̂, dx = r·(g − mean(g) − x̂·mean(g·x̂)).
 */
import type { Dim } from '../ir.js';
import { attr } from '../attributes.js';
import type { Emitter } from './emitter.js';

export function normalizeBackward(
  e: Emitter,
  g: string,
  xhat: string,
  rstd: string,
  axes: readonly number[],
): string {
  const meanG = e.reduceMean(g, axes, true);
  const meanGX = e.reduceMean(e.mul(g, xhat), axes, true);
  return e.mul(e.sub(e.sub(g, meanG), e.mul(xhat, meanGX)), rstd);
}

export interface Normalized {
  /** x̂, shaped like the LayerNormalization input. */
  readonly xhat: string;
  readonly rstd: string;
}

/**
 * Recomputes x̂ and 1/σ of `x` normalised over its axes from `axis` on, with one LayerNormalization
 * (unit scale) asked for its InvStdDev output: a single fused pass instead of separate mean and variance
 * reductions. The normalised dims must be static (the unit scale has their shape).
 */
export function renormalize(e: Emitter, x: string, axis: number, epsilon: number): Normalized {
  const shape = e.staticShape(x);
  const dtype = e.dtype(x);
  const [xhat, , rstd] = e.node(
    'LayerNormalization',
    [x, unitScale(e, x, axis)],
    { axis: attr.int(axis), epsilon: attr.float(epsilon) },
    {
      outputs: 3,
      facts: [
        { dtype, shape },
        { dtype, shape: statsShape(shape, axis) },
        { dtype, shape: statsShape(shape, axis) },
      ],
    },
  ) as [string, string, string];
  return { xhat, rstd };
}

/** A constant of ones shaped like the axes of `x` from `axis` on (static): LayerNormalization's unit scale. */
export function unitScale(e: Emitter, x: string, axis: number): string {
  const normShape = e.staticShape(x).slice(axis);
  const count = normShape.reduce((a, d) => a * d, 1);
  const dtype = e.dtype(x);
  const ones = dtype === 'float64' ? new Float64Array(count).fill(1) : new Float32Array(count).fill(1);
  return e.constant(ones, dtype, normShape);
}

/** The shape of a normalisation's per-row statistics: `shape` with 1 from `axis` on. */
export function statsShape(shape: readonly Dim[], axis: number): Dim[] {
  return shape.map((d, i) => (i < axis ? d : 1));
}
