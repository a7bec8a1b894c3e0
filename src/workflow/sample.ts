// The denoising loop of one stage: classifier-free guidance (batch [uncond, cond]) with guidance rescale,
// over a slice of a scheduler's timesteps. The two-stage sampler runs it twice, once per expert.
import { guide } from '../diffusion/index.js';
import type { Scheduler } from '../diffusion/index.js';
import { seededNormal } from './normal.js';
import type { Conditioning, UnetRunner } from './unet.js';

export interface StageSettings {
  readonly unet: UnetRunner;
  /** Batch 2 ([negative, positive]) when guidanceScale > 1, else batch 1 (the positive only). */
  readonly conditioning: Conditioning;
  readonly guidanceScale: number;
  readonly guidanceRescale: number;
}

/** diffusers guides only when the scale is above 1 (do_classifier_free_guidance). */
export const usesGuidance = (scale: number): boolean => scale > 1;

/**
 * Runs `scheduler.step` over `timesteps` from `latents` ([1, C, h, w]). Stochastic samplers (DDPM) get
 * their per-step noise from `noise.seed` and the step's position in the whole schedule (`firstIndex` for
 * a stage that starts part-way), so a run is reproducible and a split run draws what a single run draws.
 */
export async function denoise(
  scheduler: Scheduler,
  timesteps: Float64Array,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  stage: StageSettings,
  noise: { readonly seed: number; readonly firstIndex: number },
  signal: AbortSignal,
): Promise<Float32Array> {
  const guided = usesGuidance(stage.guidanceScale);
  const [, c, h, w] = shape;
  let x = latents;
  for (const [i, t] of timesteps.entries()) {
    signal.throwIfAborted();
    const input = scheduler.scaleModelInput(x, t);
    let modelInput = input;
    if (guided) {
      modelInput = new Float32Array(input.length * 2);
      modelInput.set(input, 0);
      modelInput.set(input, input.length);
    }
    const out = await stage.unet.predict(modelInput, [guided ? 2 : 1, c, h, w], t, stage.conditioning);
    const prediction = guided ? guide(out, stage.guidanceScale, stage.guidanceRescale) : out;
    const stepNoise =
      scheduler.kind === 'ddpm'
        ? seededNormal((Math.imul(noise.seed, 1000003) + noise.firstIndex + i + 1) >>> 0, x.length)
        : undefined;
    x = scheduler.step(prediction, t, x, stepNoise ? { noise: stepNoise } : {}).prevSample;
  }
  return x;
}
