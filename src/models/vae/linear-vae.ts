import { ridgeSolve, symmetricEigen } from '../math/linalg.js';

/**
 * A linear autoencoder fitted in closed form, standing in for SDXL's VAE in the tiny family.
 *
 * Encoder: each f×f RGB patch (a vector of 3·f² values, ordered channel, row, column as a stride-f Conv
 * sees it) is centred and projected on its top principal components: one Conv with kernel = stride = f.
 * Each component is scaled so that latents × scalingFactor have unit variance, as the UNet expects of SDXL
 * latents. Decoder: each patch is rebuilt by least squares from the latents of its 3×3 latent neighbourhood
 * (edge-padded), which sharpens shape edges PCA alone blurs: a Pad(edge) → 3×3 Conv → DepthToSpace(f).
 */
export interface LinearVae {
  readonly factor: number;
  readonly latentChannels: number;
  /** [latentChannels, 3, f, f] */
  readonly encoderWeight: Float32Array;
  /** [latentChannels] */
  readonly encoderBias: Float32Array;
  /** [3·f², latentChannels, 3, 3] */
  readonly decoderWeight: Float32Array;
  /** [3·f²] */
  readonly decoderBias: Float32Array;
}

/** Patch vectors of NCHW images: one row of 3·f² values per patch, in (channel, row, column) order. */
export function patchRows(images: Float32Array, count: number, size: number, f: number): Float64Array {
  const grid = size / f;
  const dim = 3 * f * f;
  const out = new Float64Array(count * grid * grid * dim);
  let row = 0;
  for (let n = 0; n < count; n++) {
    for (let py = 0; py < grid; py++) {
      for (let px = 0; px < grid; px++, row++) {
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < f; i++) {
            for (let j = 0; j < f; j++) {
              out[row * dim + c * f * f + i * f + j] =
                images[((n * 3 + c) * size + py * f + i) * size + px * f + j] ?? 0;
            }
          }
        }
      }
    }
  }
  return out;
}

export function fitLinearVae(
  images: Float32Array,
  count: number,
  size: number,
  options: { factor: number; latentChannels: number; scalingFactor: number },
): LinearVae {
  const { factor: f, latentChannels: k, scalingFactor } = options;
  const dim = 3 * f * f;
  const rows = patchRows(images, count, size, f);
  const { mean, cov } = covariance(rows, dim);
  const { values, vectors } = symmetricEigen(cov, dim);
  const encoder = pcaEncoder(values, vectors, mean, k, dim, scalingFactor);
  const latents = encodeRows(rows, encoder, k, dim);
  const decoder = fitDecoder(rows, latents, { count, grid: size / f, k, dim });
  return { factor: f, latentChannels: k, ...encoder.weights, ...decoder };
}

/** Mean and covariance of the patch rows (each `dim` long). */
function covariance(rows: Float64Array, dim: number): { mean: Float64Array; cov: Float64Array } {
  const n = rows.length / dim;
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++)
    for (let d = 0; d < dim; d++) mean[d] = (mean[d] ?? 0) + (rows[r * dim + d] ?? 0) / n;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dim; d++) centred[d] = (rows[r * dim + d] ?? 0) - (mean[d] ?? 0);
    for (let a = 0; a < dim; a++) {
      const ca = centred[a] ?? 0;
      for (let b = a; b < dim; b++) cov[a * dim + b] = (cov[a * dim + b] ?? 0) + (ca * (centred[b] ?? 0)) / n;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[a * dim + b] = cov[b * dim + a] ?? 0;
  return { mean, cov };
}

interface PcaEncoder {
  readonly weights: { readonly encoderWeight: Float32Array; readonly encoderBias: Float32Array };
  /** The weights as float32 values in float64, for encoding the rows as the encoder will. */
  readonly proj: Float64Array;
}

/** The first `k` principal components, component c scaled to std 1/scalingFactor (unit-variance latents). */
function pcaEncoder(
  values: ArrayLike<number>,
  vectors: ArrayLike<number>,
  mean: Float64Array,
  k: number,
  dim: number,
  scalingFactor: number,
): PcaEncoder {
  const encoderWeight = new Float32Array(k * dim);
  const encoderBias = new Float32Array(k);
  const proj = new Float64Array(k * dim);
  for (let c = 0; c < k; c++) {
    const scale = 1 / (scalingFactor * Math.sqrt(Math.max(values[c] ?? 0, 1e-12)));
    let bias = 0;
    for (let d = 0; d < dim; d++) {
      const w = (vectors[d * dim + c] ?? 0) * scale;
      proj[c * dim + d] = Math.fround(w);
      encoderWeight[c * dim + d] = w;
      bias -= Math.fround(w) * (mean[d] ?? 0);
    }
    encoderBias[c] = bias;
  }
  return { weights: { encoderWeight, encoderBias }, proj };
}

/** The latent of every patch row, rounded to float32 as the encoder's output is. */
function encodeRows(rows: Float64Array, encoder: PcaEncoder, k: number, dim: number): Float64Array {
  const n = rows.length / dim;
  const latents = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let s = encoder.weights.encoderBias[c] ?? 0;
      for (let d = 0; d < dim; d++) s += (encoder.proj[c * dim + d] ?? 0) * (rows[r * dim + d] ?? 0);
      latents[r * k + c] = Math.fround(s);
    }
  }
  return latents;
}

/** The least-squares decoder: each patch from the 3×3 latent neighbourhood around it (a 3×3 Conv). */
function fitDecoder(
  rows: Float64Array,
  latents: Float64Array,
  shape: { count: number; grid: number; k: number; dim: number },
): { decoderWeight: Float32Array; decoderBias: Float32Array } {
  const { count, grid, k, dim } = shape;
  const feats = 9 * k + 1;
  const gram = new Float64Array(feats * feats);
  const xty = new Float64Array(feats * dim);
  const x = new Float64Array(feats);
  const clamp = (v: number) => Math.min(grid - 1, Math.max(0, v));
  for (let img = 0; img < count; img++) {
    for (let py = 0; py < grid; py++) {
      for (let px = 0; px < grid; px++) {
        // Feature order (c, ky, kx) matches a Conv weight [out, c, 3, 3].
        for (let c = 0; c < k; c++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const r = img * grid * grid + clamp(py + ky - 1) * grid + clamp(px + kx - 1);
              x[c * 9 + ky * 3 + kx] = latents[r * k + c] ?? 0;
            }
          }
        }
        x[feats - 1] = 1;
        const target = (img * grid + py) * grid + px;
        for (let a = 0; a < feats; a++) {
          const xa = x[a] ?? 0;
          for (let b = 0; b < feats; b++) gram[a * feats + b] = (gram[a * feats + b] ?? 0) + xa * (x[b] ?? 0);
          for (let d = 0; d < dim; d++)
            xty[a * dim + d] = (xty[a * dim + d] ?? 0) + xa * (rows[target * dim + d] ?? 0);
        }
      }
    }
  }
  const w = ridgeSolve(gram, xty, feats, dim, 1e-3 * (count * grid * grid));
  const decoderWeight = new Float32Array(dim * 9 * k);
  const decoderBias = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    for (let a = 0; a < 9 * k; a++) decoderWeight[d * 9 * k + a] = w[a * dim + d] ?? 0;
    decoderBias[d] = w[(feats - 1) * dim + d] ?? 0;
  }
  return { decoderWeight, decoderBias };
}
