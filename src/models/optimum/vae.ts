import { floatTensor, toFloat32 } from './tensors.js';
import { withSession } from './session.js';
import type { OpenedModelFolder } from './open.js';

/** A batch of NCHW float32 tensors. */
export interface Nchw {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/**
 * Images [B,3,H,W] in [-1,1] → latents [B,4,h,w] as the UNet sees them: the mean half of
 * latent_parameters (deterministic: no sampling from the posterior) times the VAE's scaling factor
 * (0.13025 for SDXL). Exports from Optimum ≤ 1.22 only output a random latent_sample; it is used as is.
 */
export async function encodeImages(model: OpenedModelFolder, images: Nchw): Promise<Nchw> {
  const { vae } = model.signature;
  return withSession(model.sessions, vae.encoderFile, async (session) => {
    const out = await session.run({ sample: floatTensor(vae.encoderInputType, images.data, images.shape) }, [
      vae.encoderOutput,
    ]);
    const t = out[vae.encoderOutput];
    if (t === undefined) throw new Error(`${vae.encoderFile}: no ${vae.encoderOutput} in the outputs`);
    const data = toFloat32(t.data, `${vae.encoderFile} ${vae.encoderOutput}`);
    const [b, c, h, w] = t.dims as [number, number, number, number];
    const keep = vae.encoderOutput === 'latent_parameters' ? c / 2 : c;
    const latents = new Float32Array(b * keep * h * w);
    const plane = keep * h * w;
    for (let i = 0; i < b; i++) {
      const src = data.subarray(i * c * h * w, i * c * h * w + plane);
      for (let j = 0; j < plane; j++) latents[i * plane + j] = (src[j] ?? 0) * vae.scalingFactor;
    }
    return { data: latents, shape: [b, keep, h, w] };
  });
}

/** Latents [B,4,h,w] (UNet scale) → images [B,3,H,W] in about [-1,1]: divided by the scaling factor, decoded. */
export async function decodeLatents(model: OpenedModelFolder, latents: Nchw): Promise<Nchw> {
  const { vae } = model.signature;
  const scaled = Float32Array.from(latents.data, (v) => v / vae.scalingFactor);
  return withSession(model.sessions, vae.decoderFile, async (session) => {
    const out = await session.run({
      latent_sample: floatTensor(vae.decoderInputType, scaled, latents.shape),
    });
    const t = out['sample'];
    if (t === undefined) throw new Error(`${vae.decoderFile}: no sample in the outputs`);
    return {
      data: toFloat32(t.data, `${vae.decoderFile} sample`),
      shape: t.dims as [number, number, number, number],
    };
  });
}
