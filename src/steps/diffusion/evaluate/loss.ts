// One expert's stable evaluation loss at each fixed timestep: x_t from the cached latents and fixed
// noise, the expert's prediction against the target its prediction type defines, MSE averaged over items.
import { addNoise, flowNoisy, flowTarget, predictionTarget } from '../../../diffusion/index.js';
import type { PredictionType } from '../../../diffusion/index.js';
import type { CachedItem } from '../../../workflow/cache-read.js';
import { mse } from '../../../workflow/eval-loss.js';
import { concatFloat32 as concat } from '../../../util/float32.js';
import type { UnetRunner } from '../../../workflow/unet.js';

export interface LossInputs {
  readonly items: readonly CachedItem[];
  /** Fixed noise per item, same length as its latents. */
  readonly noise: readonly Float32Array[];
  readonly timesteps: readonly number[];
  readonly objective: LossObjective;
  readonly batchSize: number;
}

/** How x_t and the target are formed: the DDPM forward process, or flow matching (σ = t/T, target ε − x₀). */
export type LossObjective =
  | {
      readonly kind: 'diffusion';
      readonly alphasCumprod: Float64Array;
      readonly predictionType: PredictionType;
    }
  | { readonly kind: 'flow_matching'; readonly numTrainTimesteps: number };

/** Batches of item indexes that share a latent shape (a batch must be one tensor). */
function batches(items: readonly CachedItem[], size: number): number[][] {
  const byShape = new Map<string, number[]>();
  items.forEach((it, i) => {
    const k = it.latentShape.join('x');
    byShape.set(k, [...(byShape.get(k) ?? []), i]);
  });
  const out: number[][] = [];
  for (const group of byShape.values())
    for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
  return out;
}

/** The mean loss per timestep, in the order of `inputs.timesteps`. */
export async function expertLoss(
  unet: UnetRunner,
  inputs: LossInputs,
  signal: AbortSignal,
  onTimestep: () => void,
): Promise<number[]> {
  const groups = batches(inputs.items, inputs.batchSize);
  const perTimestep: number[] = [];
  for (const t of inputs.timesteps) {
    let sum = 0;
    for (const group of groups) {
      signal.throwIfAborted();
      const members = group.map((i) => inputs.items[i] as CachedItem);
      const first = members[0] as CachedItem;
      const [c, h, w] = first.latentShape;
      const ts = group.map(() => t);
      const x0 = concat(members.map((m) => m.latents));
      const noise = concat(group.map((i) => inputs.noise[i] as Float32Array));
      const o = inputs.objective;
      const xt =
        o.kind === 'flow_matching'
          ? flowNoisy(
              x0,
              noise,
              ts.map((x) => x / o.numTrainTimesteps),
            )
          : addNoise(x0, noise, o.alphasCumprod, ts);
      const target =
        o.kind === 'flow_matching'
          ? flowTarget(x0, noise)
          : predictionTarget(o.predictionType, x0, noise, o.alphasCumprod, ts);
      const [tokens, width] = first.embedShape;
      const prediction = await unet.predict(xt, [group.length, c, h, w], t, {
        batch: group.length,
        hidden: concat(members.map((m) => m.promptEmbeds)),
        tokens,
        width,
        pooled: concat(members.map((m) => m.pooled)),
        timeIds: concat(members.map((m) => Float32Array.from(m.timeIds))),
      });
      const per = c * h * w;
      for (let b = 0; b < group.length; b++) sum += mse(prediction, target, b * per, (b + 1) * per);
    }
    perTimestep.push(sum / inputs.items.length);
    onTimestep();
  }
  return perTimestep;
}
