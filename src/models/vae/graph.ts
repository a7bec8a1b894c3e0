import { Builder, attr } from '../../onnx/index.js';
import type { Model } from '../../onnx/index.js';
import type { LinearVae } from './linear-vae.js';
import { withOutputShapes } from '../onnx-shapes.js';

const f32 = (dims: readonly number[], array: Float32Array) => ({
  dtype: 'float32' as const,
  dims,
  data: { kind: 'inline' as const, array },
});

/**
 * vae_encoder/model.onnx with Optimum's contract: sample [B,3,H,W] → latent_parameters [B,8,H/f,W/f]
 * (mean ⊕ logvar). The logvar half is a constant: this VAE is deterministic, so its posterior is a point
 * (logvar −30 is the floor SDXL's VAE clamps to).
 */
export function buildVaeEncoder(vae: LinearVae): Model {
  const { factor: f, latentChannels: k } = vae;
  const b = new Builder({ name: 'vae_encoder' });
  const sample = b.input('sample', 'float32', ['batch_size', 3, 'height', 'width']);
  const weight = new Float32Array(2 * k * 3 * f * f);
  weight.set(vae.encoderWeight);
  const bias = new Float32Array(2 * k).fill(-30);
  bias.set(vae.encoderBias);
  const params = b.scope('encoder', () => {
    const w = b.weight('encoder.conv.weight', f32([2 * k, 3, f, f], weight));
    const bb = b.weight('encoder.conv.bias', f32([2 * k], bias));
    return b.conv(sample, w, bb, { strides: [f, f] }, 'conv');
  });
  b.output(params, 'latent_parameters');
  return withOutputShapes(b.build(), {
    latent_parameters: ['batch_size', 2 * k, 'latent_height', 'latent_width'],
  });
}

/** vae_decoder/model.onnx: latent_sample [B,4,h,w] → sample [B,3,f·h,f·w]. */
export function buildVaeDecoder(vae: LinearVae): Model {
  const { factor: f, latentChannels: k } = vae;
  const b = new Builder({ name: 'vae_decoder' });
  const latents = b.input('latent_sample', 'float32', ['batch_size', k, 'latent_height', 'latent_width']);
  const out = b.scope('decoder', () => {
    const padded = b.op(
      'Pad',
      [latents, b.ints([0, 0, 1, 1, 0, 0, 1, 1])],
      { mode: attr.string('edge') },
      'pad',
    );
    const w = b.weight('decoder.conv.weight', f32([3 * f * f, k, 3, 3], vae.decoderWeight));
    const bb = b.weight('decoder.conv.bias', f32([3 * f * f], vae.decoderBias));
    const patches = b.conv(padded, w, bb, {}, 'conv');
    return b.op(
      'DepthToSpace',
      [patches],
      { blocksize: attr.int(f), mode: attr.string('CRD') },
      'depth_to_space',
    );
  });
  b.output(out, 'sample');
  return withOutputShapes(b.build(), { sample: ['batch_size', 3, 'height', 'width'] });
}
